/**
 * What every bench process shares: the user pool the tokens claim to come from, how tokens are
 * minted by the TestIdentityProvider, the library options pointing at it, and small statistics.
 *
 * Tokens carry the AWS-shaped issuer `https://cognito-idp.us-east-1.amazonaws.com/us-east-1_BenchPool1`
 * (the TestIdentityProvider signs them; `iss` is overridden through its claim options) so that
 * aws-jwt-verify's `CognitoJwtVerifier`, which derives the issuer from the pool id and accepts
 * nothing else, can be used as it ships. Every verifier checks that same issuer; every JWKS
 * fetch goes to the local provider on 127.0.0.1.
 */
import { randomUUID } from 'node:crypto';
import type { CognitoAuthModuleOptions } from '../src/index.js';
import { TestIdentityProvider, type IssuedTokens } from '../src/testing/index.js';

export const POOL_ID = 'us-east-1_BenchPool1';
export const REGION = 'us-east-1';
export const CLIENT_ID = 'bench-client';
export const AWS_ISSUER = `https://cognito-idp.${REGION}.amazonaws.com/${POOL_ID}`;
/** The JWKS URI aws-jwt-verify derives from the pool id; its fetcher is pointed at the local provider. */
export const AWS_JWKS_URI = `${AWS_ISSUER}/.well-known/jwks.json`;

/** The body every route answers. */
export const BODY = Object.freeze({ ok: true });

/** Where the local identity provider listens (what a server process needs to know of it). */
export interface IdpAddress {
  readonly endpoint: string;
  readonly jwksUri: string;
}

/** Starts the local identity provider of the bench pool. */
export function startIdp(): Promise<TestIdentityProvider> {
  return TestIdentityProvider.start({
    userPoolId: POOL_ID,
    region: REGION,
    clients: [{ clientId: CLIENT_ID }],
    host: '127.0.0.1',
    accessTokenTtlSeconds: 4 * 3600,
    idTokenTtlSeconds: 4 * 3600,
  });
}

/** A Cognito-shaped ID + access + refresh token set with the AWS issuer. */
export function issue(idp: TestIdentityProvider, opts: { sub?: string; expiresInSeconds?: number } = {}): Promise<IssuedTokens> {
  return idp.issueTokens({
    ...opts,
    idClaims: { iss: AWS_ISSUER },
    accessClaims: { iss: AWS_ISSUER },
  });
}

/**
 * An access token only (one RSA signature instead of two), with exactly the claims the provider's
 * `issueTokens` puts in an access token. For the memory and micro benchmarks.
 */
export function issueAccessToken(idp: TestIdentityProvider, sub: string = randomUUID()): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return idp.signToken({
    sub,
    iss: AWS_ISSUER,
    client_id: CLIENT_ID,
    origin_jti: randomUUID(),
    event_id: randomUUID(),
    token_use: 'access',
    scope: 'aws.cognito.signin.user.admin',
    auth_time: now,
    exp: now + 4 * 3600,
    iat: now,
    jti: randomUUID(),
    username: sub,
  });
}

/** Mints `count` items, `concurrency` signatures in flight (WebCrypto signs on the libuv pool). */
export async function mintMany<T>(count: number, mint: (i: number) => Promise<T>, concurrency = 64): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      out[i] = await mint(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return out;
}

/** The library options pointing at the local provider, with the AWS-shaped issuer. */
export function libraryOptions(idp: IdpAddress): CognitoAuthModuleOptions {
  return {
    userPoolId: POOL_ID,
    clientId: [CLIENT_ID],
    region: REGION,
    endpoint: idp.endpoint,
    issuer: AWS_ISSUER,
    jwksUri: idp.jwksUri,
  };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export function round(n: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function mb(bytes: number): number {
  return round(bytes / 1024 / 1024, 1);
}

/** A promise that rejects after `ms` (every wait in the bench is bounded). */
/**
 * Runs a bench child script's `main`: exits 0 when it is done, and 1 when it fails (the error,
 * with its cause, sent to the parent over IPC, or printed when run on its own) or when the parent
 * goes away.
 */
export function runAsChild(main: () => Promise<void>): void {
  process.on('disconnect', () => process.exit(1));
  main()
    .then(() => process.exit(0))
    .catch((err: unknown) => {
      const cause = err instanceof Error && err.cause instanceof Error ? ` (cause: ${err.cause.name}: ${err.cause.message})` : '';
      process.send?.({ type: 'error', message: err instanceof Error ? `${err.name}: ${err.message}${cause}` : String(err) });
      if (!process.send) console.error(err);
      process.exit(1);
    });
}

export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
