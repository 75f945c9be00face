export { CognitoAuthModule } from './cognito-auth.module.js';
export {
  COGNITO_AUTH_MODULE_OPTIONS,
  type CognitoAuthForRootAsyncOptions,
  type CognitoAuthForRootOptions,
} from './cognito-auth.module-definition.js';
export { COGNITO_AUTH_SETTINGS } from './cognito-auth.constants.js';
export { CognitoGuard } from './guard/cognito.guard.js';
export { CurrentUser } from './guard/current-user.decorator.js';
export { CognitoClaims } from './guard/cognito-claims.decorator.js';
export { Groups, Public, Scopes } from './guard/access.decorators.js';
export { CognitoSessionService, type SessionTokens } from './session/cognito-session.service.js';
export { JwtValidationService } from './tokens/jwt-validation.service.js';
export { TokenRefreshService, computeSecretHash } from './tokens/token-refresh.service.js';
export { UserSyncService } from './users/user-sync.service.js';
export { CognitoUser } from './users/cognito-user.entity.js';
export { resolveCognitoSettings, type EnvReader } from './options/settings.resolver.js';
export type {
  CognitoAuthModuleExtras,
  CognitoAuthModuleOptions,
  CognitoAuthSettings,
  CognitoCookieOptions,
  CognitoUserSyncOptions,
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
  type CognitoAuthErrorBody,
  type CognitoAuthErrorCode,
  type TokenKind,
} from './errors/cognito-auth.errors.js';
