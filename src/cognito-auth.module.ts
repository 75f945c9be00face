import { type DynamicModule, Logger, Module, type Provider } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import {
  COGNITO_AUTH_MODULE_OPTIONS,
  type CognitoAuthForRootAsyncOptions,
  type CognitoAuthForRootOptions,
  ConfigurableCognitoAuthModule,
} from './cognito-auth.module-definition.js';
import { COGNITO_AUTH_SETTINGS, COGNITO_CLOCK } from './cognito-auth.constants.js';
import { CognitoAuthenticator } from './auth/cognito.authenticator.js';
import { withCognitoAdmin } from './admin/cognito-admin.module.js';
import { withCognitoFlows } from './flows/cognito-flows.module.js';
import { CognitoHealthIndicator } from './health/cognito-health.indicator.js';
import { cognitoOpenApiProvider } from './openapi/cognito-openapi.explorer.js';
import { CognitoRevocationService } from './shared-state/cognito-revocation.service.js';
import { OnlineSessionChecker } from './shared-state/online-session.checker.js';
import { createStateStore } from './shared-state/state-store.factory.js';
import { COGNITO_STATE_STORE } from './shared-state/state-store.interface.js';
import { CognitoContexts } from './contexts/cognito-contexts.js';
import { GraphqlContextAdapter } from './contexts/graphql.context.js';
import { HttpContextAdapter } from './contexts/http.context.js';
import { RpcContextAdapter } from './contexts/rpc.context.js';
import { WsContextAdapter } from './contexts/ws.context.js';
import { CognitoGuard } from './guard/cognito.guard.js';
import { cognitoPoolRoutesProvider } from './guard/pool-routes.validator.js';
import { CognitoSessionService } from './session/cognito-session.service.js';
import type { CognitoAuthModuleOptions, CognitoAuthSettings } from './options/cognito-auth.options.js';
import { type ConfigReader, configServiceClass, envReaderOf, findConfigService } from './options/config-service.reader.js';
import { resolveCognitoSettings } from './options/settings.resolver.js';
import { JwtValidationService } from './tokens/jwt-validation.service.js';
import { TokenRefreshService } from './tokens/token-refresh.service.js';
import { UserSyncService } from './users/user-sync.service.js';

const ConfigServiceToken = configServiceClass();

const settingsProvider: Provider = {
  provide: COGNITO_AUTH_SETTINGS,
  inject: [COGNITO_AUTH_MODULE_OPTIONS, ModuleRef, ...(ConfigServiceToken ? [{ token: ConfigServiceToken, optional: true }] : [])],
  useFactory: async (options: CognitoAuthModuleOptions | undefined, moduleRef: ModuleRef, injected?: ConfigReader) => {
    const configService = injected ?? (await findConfigService(moduleRef));
    const settings = resolveCognitoSettings(options, envReaderOf(configService));
    new Logger('CognitoAuthModule').log(
      `Cognito pool(s) ${settings.pools?.map((p) => `${p.name} (${p.userPoolId})`).join(', ') ?? settings.userPoolId}, ${settings.clientIds.length} client(s), token use ${settings.tokenUse}`,
    );
    return settings;
  },
};

/**
 * The state store: `sharedState.store`, else Redis when `COGNITO_REDIS_URL` / `sharedState.redis`
 * is set, else this process's memory. Nest calls the Redis store's `onApplicationShutdown` on
 * `app.close()`, after every service has ended its subscriptions: both connections are closed.
 */
const stateStoreProvider: Provider = {
  provide: COGNITO_STATE_STORE,
  inject: [COGNITO_AUTH_SETTINGS, { token: COGNITO_CLOCK, optional: true }],
  useFactory: (settings: CognitoAuthSettings, clock: (() => number) | undefined) => createStateStore(settings, clock),
};

const services = [
  CognitoRevocationService,
  OnlineSessionChecker,
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
  CognitoHealthIndicator,
];

/**
 * Cognito authentication for a NestJS app. Global; by default registers `CognitoGuard` as
 * `APP_GUARD` (`globalGuard: false` to apply it yourself with `@UseGuards(CognitoGuard)`).
 *
 * - `CognitoAuthModule.forRoot()`: settings from the environment (the README's Settings table).
 * - `CognitoAuthModule.forRoot({ userPoolId, clientId, ... })`: given options win over the environment.
 * - `CognitoAuthModule.forRootAsync({ imports, inject, useFactory })`.
 */
@Module({
  providers: [settingsProvider, stateStoreProvider, cognitoOpenApiProvider, cognitoPoolRoutesProvider, ...services],
  exports: [COGNITO_AUTH_SETTINGS, COGNITO_STATE_STORE, ...services],
})
export class CognitoAuthModule extends ConfigurableCognitoAuthModule {
  /** Registers the module; options left out are read from the environment. */
  static override forRoot(options: CognitoAuthForRootOptions = {}): DynamicModule {
    return withCognitoAdmin(withCognitoFlows(super.forRoot(options), options.flows));
  }

  /**
   * Registers the module with options from a factory. The factory's `flows.controller` cannot
   * shape the module: import `CognitoFlowsControllerModule.register({ path })` beside it for the
   * ready flows controller.
   */
  static override forRootAsync(options: CognitoAuthForRootAsyncOptions): DynamicModule {
    return withCognitoAdmin(withCognitoFlows(super.forRootAsync(options)));
  }
}
