import { AuthUnavailableError, type CognitoAuthError, TokenMissingError } from '../errors/cognito-auth.errors.js';
import { setResponseHeader } from './http-response.js';

const REALM = 'Bearer realm="cognito"';

/**
 * The headers of a refusal over HTTP (RFC 6750 section 3): every 401 carries
 * `WWW-Authenticate: Bearer realm="cognito"`, with `error="invalid_request"` when one of two
 * required tokens is missing and `error="invalid_token"` when a token was sent and refused; a 503
 * carries `Retry-After`. One function for every HTTP path: the guard, GraphQL over HTTP, and the
 * library's own controllers.
 */
export function errorHeaders(error: CognitoAuthError): Record<string, string> {
  const headers: Record<string, string> = {};
  if (error.getStatus() === 401) {
    headers['WWW-Authenticate'] =
      error.code === 'invalid_credentials'
        ? REALM // a sign-in refused: no token was sent
        : error instanceof TokenMissingError || error.code === 'token_missing'
          ? (error as TokenMissingError).noTokenAtAll
            ? REALM
            : `${REALM}, error="invalid_request"`
          : `${REALM}, error="invalid_token"`;
  }
  const retryAfter = (error as Partial<AuthUnavailableError>).retryAfterSeconds;
  if (typeof retryAfter === 'number') headers['Retry-After'] = String(retryAfter);
  return headers;
}

/** Sets `errorHeaders(error)` on an Express response or a Fastify reply. */
export function applyErrorHeaders(res: unknown, error: CognitoAuthError): void {
  for (const [name, value] of Object.entries(errorHeaders(error))) setResponseHeader(res, name, value);
}
