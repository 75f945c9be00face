import type { CognitoAuthError } from '../errors/cognito-auth.errors.js';

/**
 * Refusals about one message's or operation's own rules (`@Groups`, `@AllGroups`, `@NoGroups`,
 * `@Scopes`, `@Pools`, the callers a route takes) rather than the connection's identity: that
 * message or operation is refused, the connection stays open.
 */
const OPERATION_RULE_CODES: ReadonlySet<string> = new Set(['forbidden_group', 'forbidden_scope', 'forbidden_caller']);

/**
 * Whether a refusal over a socket (a WebSocket gateway message or a GraphQL operation) ends the
 * connection. It does when the refusal is about the connection's identity, which will not get
 * better on that connection: missing, invalid, expired or revoked tokens (401), an identity the
 * app refuses (403 `forbidden_claims`, `user_not_registered`, ...), or verification unavailable
 * (503). It does not when the refusal is about the one call's rules (403 `forbidden_group`,
 * `forbidden_scope`, `forbidden_caller`): the caller may still send what it is allowed to.
 */
export function endsConnection(error: CognitoAuthError): boolean {
  return !OPERATION_RULE_CODES.has(error.code);
}

/** The WebSocket close code of a refusal: 4401, 4403 or 4503 (4000 plus the HTTP status it stands for). */
export function closeCodeOf(error: CognitoAuthError): number {
  return 4000 + error.getStatus();
}
