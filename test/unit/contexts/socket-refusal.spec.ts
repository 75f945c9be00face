import {
  AuthUnavailableError,
  CodeExpiredError,
  CodeMismatchError,
  COGNITO_AUTH_ERROR_CODES,
  CsrfFailedError,
  ForbiddenCallerError,
  ForbiddenClaimsError,
  ForbiddenGroupError,
  ForbiddenScopeError,
  InvalidCredentialsError,
  InvalidPasswordError,
  InvalidStateError,
  LimitExceededError,
  PasswordResetRequiredError,
  RefreshFailedError,
  TokenExpiredError,
  TokenInvalidError,
  TokenMismatchError,
  TokenMissingError,
  TokenRevokedError,
  UserNotConfirmedError,
  UserNotRegisteredError,
  UsernameExistsError,
  type CognitoAuthError,
  type CognitoAuthErrorCode,
} from '../../../src/errors/cognito-auth.errors.js';
import { closeCodeOf, endsConnection } from '../../../src/contexts/socket-refusal.js';

/**
 * What a refusal over a socket (a gateway message, a GraphQL operation) does to the connection:
 * `forbidden_group`, `forbidden_scope` and `forbidden_caller` are about
 * the one call's rules and keep the connection; every other refusal is about the connection's
 * identity and ends it. `ws` and graphql-ws close with 4000 + the HTTP status the code stands for.
 */

/** One error of every code the library answers with. */
const ONE_OF_EACH: Record<CognitoAuthErrorCode, CognitoAuthError> = {
  token_missing: new TokenMissingError([], true),
  token_invalid: new TokenInvalidError(),
  token_expired: new TokenExpiredError(),
  token_mismatch: new TokenMismatchError(),
  refresh_failed: new RefreshFailedError(),
  user_not_registered: new UserNotRegisteredError(),
  forbidden_group: new ForbiddenGroupError(),
  forbidden_scope: new ForbiddenScopeError(),
  csrf_failed: new CsrfFailedError(),
  auth_unavailable: new AuthUnavailableError(),
  token_revoked: new TokenRevokedError(),
  forbidden_claims: new ForbiddenClaimsError(),
  forbidden_caller: new ForbiddenCallerError(),
  invalid_credentials: new InvalidCredentialsError(),
  user_not_confirmed: new UserNotConfirmedError(),
  password_reset_required: new PasswordResetRequiredError(),
  code_mismatch: new CodeMismatchError(),
  code_expired: new CodeExpiredError(),
  invalid_password: new InvalidPasswordError(),
  invalid_state: new InvalidStateError(),
  username_exists: new UsernameExistsError(),
  limit_exceeded: new LimitExceededError(),
};
const KEEPS = ['forbidden_group', 'forbidden_scope', 'forbidden_caller'];

it('the table below holds every code the library has (a new code must be placed in it)', () => {
  expect(Object.keys(ONE_OF_EACH).sort()).toEqual([...COGNITO_AUTH_ERROR_CODES].sort());
  for (const [code, error] of Object.entries(ONE_OF_EACH)) expect(error.code).toBe(code);
});

describe('endsConnection', () => {
  it.each(KEEPS)('`%s` (the call`s own rules) keeps the connection', (code) => {
    expect(endsConnection(ONE_OF_EACH[code as CognitoAuthErrorCode])).toBe(false);
  });

  it.each(COGNITO_AUTH_ERROR_CODES.filter((c) => !KEEPS.includes(c)))('`%s` ends the connection', (code) => {
    expect(endsConnection(ONE_OF_EACH[code])).toBe(true);
  });

  it('the 403s about the identity end it, the 403s about the call do not', () => {
    const forbidden = Object.values(ONE_OF_EACH).filter((e) => e.getStatus() === 403);
    expect(forbidden.filter(endsConnection).map((e) => e.code)).toEqual(
      expect.arrayContaining(['user_not_registered', 'forbidden_claims', 'csrf_failed']),
    );
    expect(
      forbidden
        .filter((e) => !endsConnection(e))
        .map((e) => e.code)
        .sort(),
    ).toEqual([...KEEPS].sort());
  });

  it('a code it does not know, or one of ours in another case, ends the connection (it fails closed)', () => {
    const recased = Object.assign(new ForbiddenGroupError(), { code: 'FORBIDDEN_GROUP' as CognitoAuthErrorCode });
    const unknown = Object.assign(new ForbiddenScopeError(), { code: 'forbidden_something_new' as CognitoAuthErrorCode });
    expect(endsConnection(recased)).toBe(true);
    expect(endsConnection(unknown)).toBe(true);
  });

  it('a message of its own does not change the answer: the code decides', () => {
    expect(endsConnection(new ForbiddenGroupError('Only admins may do that'))).toBe(false);
    expect(endsConnection(new TokenMissingError(['access'], false, 'Missing access token'))).toBe(true);
  });
});

describe('closeCodeOf', () => {
  it('4401 for every 401, 4403 for every 403, 4503 for 503', () => {
    for (const error of Object.values(ONE_OF_EACH)) {
      const status = error.getStatus();
      if (status === 401) expect(closeCodeOf(error)).toBe(4401);
      if (status === 403) expect(closeCodeOf(error)).toBe(4403);
      if (status === 503) expect(closeCodeOf(error)).toBe(4503);
    }
    expect(closeCodeOf(ONE_OF_EACH.token_expired)).toBe(4401);
    expect(closeCodeOf(ONE_OF_EACH.forbidden_claims)).toBe(4403);
    expect(closeCodeOf(ONE_OF_EACH.auth_unavailable)).toBe(4503);
  });

  it('4000 plus the status for every code, always in the range kept for applications (RFC 6455 section 7.4.2: 4000-4999)', () => {
    for (const error of Object.values(ONE_OF_EACH)) {
      const code = closeCodeOf(error);
      expect(code).toBe(4000 + error.getStatus());
      expect(code).toBeGreaterThanOrEqual(4000);
      expect(code).toBeLessThanOrEqual(4999);
    }
  });
});
