export { CognitoAuthModule } from './cognito-auth.module.js';
export {
  COGNITO_AUTH_MODULE_OPTIONS,
  type CognitoAuthForRootAsyncOptions,
  type CognitoAuthForRootOptions,
} from './cognito-auth.module-definition.js';
export { COGNITO_AUTH_SETTINGS, COGNITO_CLOCK } from './cognito-auth.constants.js';
export { CognitoGuard } from './guard/cognito.guard.js';
export { CurrentUser } from './guard/current-user.decorator.js';
export { AccessToken, CognitoClaims } from './guard/cognito-claims.decorator.js';
export { AllGroups, AllowMachines, Groups, MachinesOnly, NoGroups, Public, Scopes, TokenUse } from './guard/access.decorators.js';
export type { AllowedCallers, RouteRules } from './guard/route-rules.js';
export { Pools } from './guard/pools.decorator.js';
export type { CognitoPoolOptions, ResolvedPoolSettings, ResolvedReplicaIssuer } from './options/cognito-auth.options.js';
export type { PoolKeySetStatus } from './tokens/jwt-validation.service.js';
export { CognitoAuthenticator } from './auth/cognito.authenticator.js';
export type { AuthenticateOptions, AuthResult, TokenInput, TokenSource } from './auth/authenticator.types.js';
export { isMachineToken } from './users/machine-token.js';
export type { CognitoContextAdapter, ContextTokens } from './contexts/context.adapter.js';
export { CognitoContexts } from './contexts/cognito-contexts.js';
export { HttpContextAdapter } from './contexts/http.context.js';
export { GraphqlContextAdapter } from './contexts/graphql.context.js';
export { CognitoGraphqlError, type CognitoGraphqlErrorExtensions } from './contexts/graphql-error.js';
export {
  createGraphqlWsOnConnect,
  type GraphqlWsAuthSource,
  type GraphqlWsOnConnectOptions,
  type GraphqlWsOnConnectResult,
} from './contexts/graphql-ws-connect.js';
export type { GraphqlWsConnectionContext } from './contexts/graphql-call.js';
export type { CognitoRpcErrorBody } from './contexts/rpc-exception.factory.js';
export { WsContextAdapter } from './contexts/ws.context.js';
export { RpcContextAdapter } from './contexts/rpc.context.js';
export { errorHeaders } from './session/http-error-headers.js';
export { CognitoSessionService, type SessionTokens, type SignInBody } from './session/cognito-session.service.js';
export { JwtValidationService } from './tokens/jwt-validation.service.js';
export type { JwksStatus } from './tokens/jwks.cache.js';
export { TokenRefreshService, computeSecretHash } from './tokens/token-refresh.service.js';
export { UserSyncService } from './users/user-sync.service.js';
export { CognitoRevocationService, type RevocableClaims } from './shared-state/cognito-revocation.service.js';
export { COGNITO_STATE_STORE, type CognitoStateStore } from './shared-state/state-store.interface.js';
export { InMemoryStateStore } from './shared-state/in-memory-state.store.js';
export { RedisStateStore, type RedisStateStoreOptions } from './shared-state/redis-state.store.js';
export { OnlineSessionChecker } from './shared-state/online-session.checker.js';
export { RequireFreshSession } from './guard/fresh-session.decorator.js';
export type { RefreshInput, RevokeOptions } from './tokens/refresh.types.js';
export { CognitoUser } from './users/cognito-user.entity.js';
export { resolveCognitoSettings, type EnvReader } from './options/settings.resolver.js';
export type {
  CognitoAuthModuleExtras,
  CognitoAuthModuleOptions,
  CognitoAuthSettings,
  CognitoCookieOptions,
  CognitoUserSyncOptions,
  CognitoSharedStateOptions,
  CognitoFlowsOptions,
  CognitoHostedUiOptions,
  ResolvedFlowsSettings,
  ResolvedHostedUiSettings,
  CognitoTokenExtractor,
  CognitoValidateHook,
  CognitoValidateInfo,
  ExtractedTokens,
  CookieSameSite,
  ResolvedUserSyncSettings,
  TokenUseMode,
} from './options/cognito-auth.options.js';
export type {
  CognitoAccessTokenClaims,
  CognitoBaseClaims,
  CognitoIdTokenClaims,
  CognitoPrincipal,
  RefreshedTokens,
  VerifiedTokens,
} from './tokens/token.types.js';
export {
  AuthUnavailableError,
  CognitoAuthError,
  isCognitoAuthError,
  ForbiddenCallerError,
  ForbiddenClaimsError,
  TokenRevokedError,
  CognitoConfigError,
  CsrfFailedError,
  ForbiddenGroupError,
  ForbiddenScopeError,
  RefreshFailedError,
  TokenExpiredError,
  TokenInvalidError,
  TokenMismatchError,
  TokenMissingError,
  UserNotRegisteredError,
  InvalidCredentialsError,
  UserNotConfirmedError,
  PasswordResetRequiredError,
  CodeMismatchError,
  CodeExpiredError,
  InvalidPasswordError,
  InvalidStateError,
  UsernameExistsError,
  LimitExceededError,
  type CognitoAuthStatus,
  type CognitoAuthErrorBody,
  type CognitoAuthErrorCode,
  type TokenKind,
} from './errors/cognito-auth.errors.js';
export {
  COGNITO_SECURITY_SCHEMES,
  withCognitoSecurity,
  type CognitoSecuritySchemeName,
  type CognitoSecuritySchemeObject,
  type SecuritySchemeTarget,
} from './openapi/cognito-security.schemes.js';
export { CognitoHealthIndicator, type CognitoHealthDetails, type CognitoHealthIndicatorResult } from './health/cognito-health.indicator.js';
export type { CognitoHealthStatus, DependencyHealth, JwksHealth, StoreHealthProbe } from './health/health-checks.js';
export { CognitoAuthFlowService } from './flows/cognito-auth-flow.service.js';
export { COGNITO_CLIENT, CognitoClientHolder, InjectCognitoClient } from './admin/cognito-client.provider.js';
export { CognitoFlowsControllerModule, CognitoFlowsModule, type CognitoFlowsControllerOptions } from './flows/cognito-flows.module.js';
export {
  CognitoFlowsControllerBase,
  createCognitoFlowsController,
  type FlowResponse,
  type SignedInResponse,
} from './flows/cognito-flows.controller.js';
export { OAUTH_COOKIE } from './flows/hosted-ui.js';
export type {
  ChallengeInput,
  ChallengeResult,
  CodeDelivery,
  FlowChallengeName,
  FlowResult,
  FlowTokens,
  FlowUser,
  HostedUiCallback,
  HostedUiStart,
  LoginInput,
  SignedInResult,
  SignUpInput,
  SignUpResult,
} from './flows/flow.types.js';
export { CognitoAdminService } from './admin/cognito-admin.service.js';
export { CognitoAdminModule, withCognitoAdmin } from './admin/cognito-admin.module.js';
export {
  AdminGroupNotFoundError,
  AdminInvalidParameterError,
  AdminUserNotFoundError,
  CognitoAdminError,
  isCognitoAdminError,
  type CognitoAdminErrorBody,
  type CognitoAdminErrorCode,
} from './errors/admin.errors.js';
export type {
  CognitoAdminGroup,
  CognitoAdminUser,
  CognitoUserFilter,
  CognitoUserFilterAttribute,
  CreateUserInput,
  ListUsersOptions,
} from './admin/admin.types.js';
