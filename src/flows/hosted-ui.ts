import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { BadRequestException, type LoggerService } from '@nestjs/common';
import { AuthUnavailableError, InvalidStateError, LimitExceededError } from '../errors/cognito-auth.errors.js';
import type { ResolvedHostedUiSettings } from '../options/cognito-auth.options.js';
import { safeErrorName } from '../tokens/cognito-errors.js';
import { withDeadline } from '../tokens/cognito-errors.js';
import type { FlowStateCrypto } from './flow-state.crypto.js';
import type { FlowTokens, HostedUiCallback, HostedUiStart } from './flow.types.js';

/** Name of the HttpOnly cookie carrying the OAuth state, nonce and PKCE verifier between the redirect and the callback. */
export const OAUTH_COOKIE = 'cognito_oauth';
/** How long a hosted UI sign-in may take, from the redirect to the callback. */
export const OAUTH_COOKIE_MAX_AGE = 600;
/** An authorization code or state as they travel in a URL (RFC 6749 / 3986 unreserved characters). */
const URL_VALUE = /^[A-Za-z0-9._~-]{1,2048}$/;
/** A PKCE code verifier (RFC 7636 section 4.1). */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const PROVIDER = /^[A-Za-z0-9_.-]{1,40}$/;
const MAX_TOKEN_RESPONSE = 64 * 1024;

/** What the `cognito_oauth` cookie carries: state, PKCE verifier, nonce, expiry (epoch seconds). */
interface OAuthCookie {
  readonly s: string;
  readonly v: string;
  readonly n: string;
  readonly e: number;
}

/** What the hosted UI needs besides its settings. */
export interface HostedUiDeps {
  readonly clientId: string;
  readonly clientSecret: string | undefined;
  readonly crypto: FlowStateCrypto;
  readonly now: () => number;
  readonly timeoutMs: number;
  readonly retryAfterSeconds: number;
  readonly logger: Pick<LoggerService, 'warn' | 'error'>;
}

/**
 * Cognito's hosted UI: the authorization code grant with PKCE (RFC 7636, S256 only), a random
 * `state` (RFC 6749 section 10.12) and an OIDC `nonce`, all three kept in the signed
 * `cognito_oauth` cookie; the callback checks the state in constant time and exchanges the code
 * with the verifier at `<domain>/oauth2/token`.
 */
export class HostedUi {
  constructor(
    private readonly settings: ResolvedHostedUiSettings,
    private readonly deps: HostedUiDeps,
  ) {}

  /** The authorize URL and the cookie value that must come back with the callback. */
  start(identityProvider?: string): HostedUiStart {
    if (identityProvider !== undefined && !PROVIDER.test(identityProvider)) {
      throw new BadRequestException('provider must be the name of an identity provider of the user pool');
    }
    const state = randomBytes(32).toString('base64url');
    const verifier = randomBytes(32).toString('base64url');
    const nonce = randomBytes(32).toString('base64url');
    const payload: OAuthCookie = { s: state, v: verifier, n: nonce, e: Math.floor(this.deps.now() / 1000) + OAUTH_COOKIE_MAX_AGE };
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: this.deps.clientId,
      redirect_uri: this.settings.redirectUri,
      scope: this.settings.scopes.join(' '),
      state,
      nonce,
      code_challenge: createHash('sha256').update(verifier, 'ascii').digest('base64url'),
      code_challenge_method: 'S256',
      ...(identityProvider ? { identity_provider: identityProvider } : {}),
    });
    return {
      url: `${this.settings.domain}/oauth2/authorize?${query.toString()}`,
      cookie: this.deps.crypto.sign(payload),
      maxAgeSeconds: OAUTH_COOKIE_MAX_AGE,
    };
  }

  /**
   * Checks the callback against the cookie and exchanges the code. Returns the tokens and the
   * nonce their ID token must carry.
   *
   * @throws InvalidStateError a missing, forged or expired cookie, a state that differs, no PKCE
   *   verifier, or a code the token endpoint refuses (used, expired, not this client's)
   */
  async exchange(input: HostedUiCallback): Promise<{ tokens: FlowTokens; nonce: string }> {
    if (typeof input.code !== 'string' || !URL_VALUE.test(input.code) || typeof input.state !== 'string' || !URL_VALUE.test(input.state)) {
      throw new InvalidStateError('The callback must carry the code and the state the hosted UI sent');
    }
    const saved = this.deps.crypto.verify<OAuthCookie>(input.cookie);
    if (!saved || typeof saved.s !== 'string' || !sameString(saved.s, input.state)) {
      throw new InvalidStateError('The sign-in state is missing, forged or expired: start the sign-in again');
    }
    if (typeof saved.v !== 'string' || !VERIFIER.test(saved.v) || typeof saved.n !== 'string') {
      throw new InvalidStateError('The sign-in has no PKCE verifier: start the sign-in again');
    }
    const tokens = await this.requestTokens(input.code, saved.v);
    return { tokens, nonce: saved.n };
  }

  private async requestTokens(code: string, verifier: string): Promise<FlowTokens> {
    const { clientId, clientSecret, timeoutMs } = this.deps;
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: clientId,
      code,
      redirect_uri: this.settings.redirectUri,
      code_verifier: verifier,
    });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (clientSecret) headers['authorization'] = `Basic ${Buffer.from(`${clientId}:${clientSecret}`, 'utf8').toString('base64')}`;
    let status: number;
    let text: string;
    try {
      ({ status, text } = await withDeadline('oauth2/token', timeoutMs, async (signal) => {
        const res = await fetch(`${this.settings.domain}/oauth2/token`, { method: 'POST', headers, body, signal, redirect: 'error' });
        return { status: res.status, text: await res.text() };
      }));
    } catch (err) {
      this.deps.logger.error(`Cognito oauth2/token unreachable: ${safeErrorName(err)}`);
      throw new AuthUnavailableError('Cognito is temporarily unavailable', this.deps.retryAfterSeconds);
    }
    return this.tokensOf(status, text);
  }

  private tokensOf(status: number, text: string): FlowTokens {
    const json = parseJson(text);
    if (status === 200) {
      const { access_token: accessToken, id_token: idToken, refresh_token: refreshToken, expires_in: expiresIn } = json ?? {};
      if (typeof accessToken === 'string' && accessToken && typeof idToken === 'string' && idToken) {
        return {
          accessToken,
          idToken,
          ...(typeof refreshToken === 'string' && refreshToken ? { refreshToken } : {}),
          ...(typeof expiresIn === 'number' ? { expiresIn } : {}),
        };
      }
    }
    const error = typeof json?.['error'] === 'string' && /^[a-z_]{1,40}$/.test(json['error']) ? json['error'] : 'unparsable answer';
    if (status === 400 && error === 'invalid_grant')
      throw new InvalidStateError('The authorization code is invalid, used or expired: start the sign-in again');
    if (status === 429) throw new LimitExceededError(undefined, this.deps.retryAfterSeconds);
    if (status >= 400 && status < 500)
      this.deps.logger.error(
        `Cognito oauth2/token refused the exchange: HTTP ${status} ${error} (check the app client, its secret and callback URL)`,
      );
    else this.deps.logger.error(`Cognito oauth2/token failed: HTTP ${status} ${error}`);
    throw new AuthUnavailableError('Cognito is temporarily unavailable', this.deps.retryAfterSeconds);
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  if (text.length > MAX_TOKEN_RESPONSE) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Constant-time equality of two strings (hashed first, so their lengths do not show). */
function sameString(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}
