import { type DynamicModule, Module } from '@nestjs/common';
import type { CognitoFlowsOptions } from '../options/cognito-auth.options.js';
import { CognitoAuthFlowService } from './cognito-auth-flow.service.js';
import { COGNITO_CLIENT, CognitoClientHolder, cognitoClientProviders } from '../admin/cognito-client.provider.js';
import { createCognitoFlowsController } from './cognito-flows.controller.js';

/**
 * The configured SDK client (`COGNITO_CLIENT`, `@InjectCognitoClient()`) and
 * `CognitoAuthFlowService`. It relies on what the global `CognitoAuthModule` exports (settings,
 * session, revocation, token verification), and `CognitoAuthModule` imports and re-exports it, so
 * both are injectable everywhere.
 */
@Module({
  providers: [...cognitoClientProviders, CognitoAuthFlowService],
  exports: [COGNITO_CLIENT, CognitoClientHolder, CognitoAuthFlowService],
})
export class CognitoFlowsModule {}

/** Options of `CognitoFlowsControllerModule.register()`. */
export interface CognitoFlowsControllerOptions {
  /** The route prefix. Default `auth`. */
  path?: string;
}

/**
 * The ready flows controller (`POST /auth/login`, `/auth/challenge`, `/auth/signup`...).
 * `CognitoAuthModule.forRoot({ flows: { controller: true, path } })` registers it; with
 * `forRootAsync()` (whose options are not known when the module is built) import
 * `CognitoFlowsControllerModule.register({ path })` beside it.
 */
@Module({})
export class CognitoFlowsControllerModule {
  /** The controller under `path` (default `auth`). */
  static register(options: CognitoFlowsControllerOptions = {}): DynamicModule {
    return {
      module: CognitoFlowsControllerModule,
      imports: [CognitoFlowsModule],
      controllers: [createCognitoFlowsController(normalizePath(options.path))],
    };
  }
}

function normalizePath(path: string | undefined): string {
  const trimmed = (path ?? 'auth').trim().replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? 'auth' : trimmed;
}

/**
 * Adds the flows to `CognitoAuthModule`'s definition: `CognitoFlowsModule` always (imported and
 * re-exported, so the flow service and the SDK client are injectable app-wide), and the
 * controller when `flows.controller` is true.
 */
export function withCognitoFlows(definition: DynamicModule, flows?: CognitoFlowsOptions): DynamicModule {
  if (definition.imports?.includes(CognitoFlowsModule)) return definition; // added already
  const controller = flows?.controller === true ? [CognitoFlowsControllerModule.register({ path: flows.path })] : [];
  return {
    ...definition,
    imports: [...(definition.imports ?? []), CognitoFlowsModule, ...controller],
    exports: [...(definition.exports ?? []), CognitoFlowsModule],
  };
}
