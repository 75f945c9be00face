import { type DynamicModule, Logger, Module, type Provider } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import {
  COGNITO_AUTH_MODULE_OPTIONS,
  type CognitoAuthForRootOptions,
  ConfigurableCognitoAuthModule,
} from './cognito-auth.module-definition.js';
import { COGNITO_AUTH_SETTINGS } from './cognito-auth.constants.js';
import { CognitoAuthenticator } from './auth/cognito.authenticator.js';
import { CognitoRevocationService } from './shared-state/cognito-revocation.service.js';
import { CognitoContexts } from './contexts/cognito-contexts.js';
import { GraphqlContextAdapter } from './contexts/graphql.context.js';
import { HttpContextAdapter } from './contexts/http.context.js';
import { RpcContextAdapter } from './contexts/rpc.context.js';
import { WsContextAdapter } from './contexts/ws.context.js';
import { CognitoGuard } from './guard/cognito.guard.js';
import { CognitoSessionService } from './session/cognito-session.service.js';
import type { CognitoAuthModuleOptions } from './options/cognito-auth.options.js';
import { type EnvReader, resolveCognitoSettings } from './options/settings.resolver.js';
import { JwtValidationService } from './tokens/jwt-validation.service.js';
import { TokenRefreshService } from './tokens/token-refresh.service.js';
import { UserSyncService } from './users/user-sync.service.js';

interface ConfigReader {
  get(name: string): unknown;
}

/**
 * The app's `ConfigService` when it imports `ConfigModule` (it sees .env files), else undefined.
 * `@nestjs/config` is an optional peer: it is loaded here, lazily, rather than by a top-level
 * `await`, so the package loads with `require()` too.
 */
async function findConfigService(moduleRef: ModuleRef): Promise<ConfigReader | undefined> {
  const config = await import('@nestjs/config').catch(() => undefined);
  if (!config) return undefined;
  try {
    return moduleRef.get<ConfigReader>(config.ConfigService, { strict: false });
  } catch {
    return undefined;
  }
}

const settingsProvider: Provider = {
  provide: COGNITO_AUTH_SETTINGS,
  inject: [COGNITO_AUTH_MODULE_OPTIONS, ModuleRef],
  useFactory: async (options: CognitoAuthModuleOptions | undefined, moduleRef: ModuleRef) => {
    const configService = await findConfigService(moduleRef);
    const env: EnvReader = configService
      ? (name) => {
          const value = configService.get(name);
          return value === undefined || value === null ? undefined : String(value);
        }
      : (name) => process.env[name];
    const settings = resolveCognitoSettings(options, env);
    new Logger('CognitoAuthModule').log(
      `Cognito pool ${settings.userPoolId}, ${settings.clientIds.length} client(s), token use ${settings.tokenUse}`,
    );
    return settings;
  },
};

const services = [
  CognitoRevocationService,
  JwtValidationService,
  TokenRefreshService,
  UserSyncService,
  CognitoSessionService,
  CognitoAuthenticator,
  HttpContextAdapter,
  GraphqlContextAdapter,
  WsContextAdapter,
  RpcContextAdapter,
  CognitoContexts,
  CognitoGuard,
];

/**
 * Cognito authentication for a NestJS app. Global; by default registers `CognitoGuard` as
 * `APP_GUARD` (`globalGuard: false` to apply it yourself with `@UseGuards(CognitoGuard)`).
 *
 * - `CognitoAuthModule.forRoot()`: settings from the environment (DESIGN.md section 4).
 * - `CognitoAuthModule.forRoot({ userPoolId, clientId, ... })`: given options win over the environment.
 * - `CognitoAuthModule.forRootAsync({ imports, inject, useFactory })`.
 */
@Module({
  providers: [settingsProvider, ...services],
  exports: [COGNITO_AUTH_SETTINGS, ...services],
})
export class CognitoAuthModule extends ConfigurableCognitoAuthModule {
  /** Registers the module; options left out are read from the environment. */
  static override forRoot(options: CognitoAuthForRootOptions = {}): DynamicModule {
    return super.forRoot(options);
  }
}
