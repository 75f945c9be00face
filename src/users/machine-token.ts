import type { VerifiedTokens } from '../tokens/token.types.js';

/**
 * Whether the verified tokens are a machine's (OAuth client credentials): an access token with
 * no `username` whose `sub` equals its `client_id`. Cognito issues such tokens to an app client,
 * not to a person, so they never stand for a user row.
 */
export function isMachineToken(tokens: VerifiedTokens): boolean {
  const access = tokens.access;
  if (!access) return false;
  const username: unknown = access.username;
  return (typeof username !== 'string' || username === '') && access.sub === access.client_id;
}
