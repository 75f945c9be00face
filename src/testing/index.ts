/**
 * `nest-cognito-auth/testing`: a real local Cognito stand-in for tests (RS256 keys, a JWKS
 * endpoint, Cognito-shaped tokens and the refresh operations of Cognito's JSON protocol).
 */
export { TestIdentityProvider } from './test-identity-provider.js';
export type {
  IssueTokensOptions,
  IssuedTokens,
  RefreshTokenOwner,
  TestClient,
  TestIdentityProviderModuleOptions,
  TestIdentityProviderOptions,
  TestIdentityProviderStats,
} from './test-identity-provider.js';
export type { TestJwk, TestSigningKey } from './signing-key.helpers.js';
export type { JwksControls, JwksMode } from './jwks.handler.js';
export type { RefreshControls, RefreshMode } from './cognito-api.handler.js';
export {
  headersOf,
  testPrincipalHeaders,
  tokensFor,
  type TestPools,
  type TestPrincipal,
  type TestPrincipalHeadersOptions,
  type TestPrincipalTokens,
} from './principal.js';
export { TestFlows, type TestFlowsHooks } from './flows/test-flows.js';
export { totpCode } from './flows/totp.js';
export type { TestCodeKind, TestMfaMethod, TestUser, TestUserSpec, TestUserStatus } from './flows/test-users.js';
export type { TestFlowControls, TestFlowMode } from './flows/flows-context.js';
export type { TestOAuthControls } from './flows/oauth.handler.js';
export type { TestPasswordPolicy } from './flows/password-policy.js';
export { TestAdmin, type TestAdminControls, type TestAdminHooks, type TestGroupSpec } from './admin/test-admin.js';
export type { TestGroup } from './admin/admin-wire.js';
