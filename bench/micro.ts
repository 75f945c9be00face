/**
 * Verification micro-benchmark (a child process of bench/run.ts; result over IPC): access tokens
 * verified per second by
 *   - JwtValidationService, verified-token cache off (tokenCacheSize 0): every call checks the
 *     signature, with node:crypto.verify (synchronous RSASSA-PKCS1-v1_5)
 *   - JwtValidationService, cache on, tokens seen before (a cache hit per call), through the async
 *     verifyAccessToken and through cachedClaims, the synchronous lookup the guard's fast path uses
 *   - aws-jwt-verify CognitoJwtVerifier (JWKS preloaded with cacheJwks)
 *   - jose alone: jwtVerify with createRemoteJWKSet (warm) and the same claim checks
 *   - jsonwebtoken with a PEM public key and the same claim checks
 * and, to size where the time goes, the bare RS256 signature check (no claims) through jose's
 * compactVerify (WebCrypto; what jose jwtVerify uses) and through node:crypto's verify (what
 * JwtValidationService uses), each sequentially (one at a time) and 64 at a time, over a pool of
 * distinct tokens from a TestIdentityProvider started in this process. argv: [ms per measurement] [pool size]
 */
import 'reflect-metadata';
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { compactVerify, createRemoteJWKSet, jwtVerify } from 'jose';
import jwt from 'jsonwebtoken';
import { JwtValidationService, resolveCognitoSettings } from '../src/index.js';
import {
  AWS_ISSUER,
  CLIENT_ID,
  type IdpAddress,
  issueAccessToken,
  libraryOptions,
  mintMany,
  POOL_ID,
  round,
  runAsChild,
  startIdp,
} from './common.js';

export interface MicroResult {
  readonly verifier: string;
  /** Tokens per second, one verification at a time. */
  readonly sequential: number;
  /** Tokens per second, 64 verifications in flight. */
  readonly concurrent64: number;
}

type Verify = (token: string) => unknown;

const MS = Number(process.argv[2] ?? 1500);
const POOL = Number(process.argv[3] ?? 2000);

function checkAccess(payload: Record<string, unknown>): void {
  if (payload.token_use !== 'access' || payload.client_id !== CLIENT_ID) throw new Error('not an access token of the client');
}

async function measure(verify: Verify, tokens: readonly string[], inFlight: number, ms: number): Promise<number> {
  let i = 0;
  let done = 0;
  const end = performance.now() + ms;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      await verify(tokens[i++ % tokens.length]);
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return round(done / ((performance.now() - started) / 1000));
}

/** JwtValidationService with its verified-token cache off, and with it on and holding every token of the pool. */
async function jwtServices(
  idp: IdpAddress,
  tokens: readonly string[],
): Promise<{ cacheOff: JwtValidationService; cacheOn: JwtValidationService }> {
  const service = async (tokenCacheSize: number): Promise<JwtValidationService> => {
    const settings = resolveCognitoSettings({ ...libraryOptions(idp), tokenUse: 'access', users: false, tokenCacheSize }, () => undefined);
    const s = new JwtValidationService(settings);
    await s.onModuleInit();
    return s;
  };
  const cacheOff = await service(0);
  const cacheOn = await service(Math.max(10_000, POOL));
  for (const t of tokens) await cacheOn.verifyAccessToken(t); // every later call is a hit
  return { cacheOff, cacheOn };
}

/** Every verifier measured, named as in the table. */
async function verifiersFor(idp: IdpAddress, tokens: readonly string[]): Promise<[string, Verify][]> {
  const jwks = (await (await fetch(idp.jwksUri)).json()) as { keys: Record<string, string>[] };
  const { cacheOff, cacheOn } = await jwtServices(idp, tokens);

  const aws = CognitoJwtVerifier.create({ userPoolId: POOL_ID, tokenUse: 'access', clientId: CLIENT_ID });
  aws.cacheJwks(jwks as unknown as Parameters<typeof aws.cacheJwks>[0]);

  const remote = createRemoteJWKSet(new URL(idp.jwksUri));
  // jose fetches its key set on first use. Fetch it now, before the measurements: the
  // JwtValidationService rows are synchronous (node:crypto, cache hits) and hold the event loop
  // for seconds, after which a first fetch would reuse a keep-alive socket the provider has
  // closed meanwhile (ECONNRESET).
  await jwtVerify(tokens[0], remote, { issuer: AWS_ISSUER, algorithms: ['RS256'] });
  const keyObject = createPublicKey({ key: jwks.keys[0], format: 'jwk' });
  const pem = keyObject.export({ type: 'spki', format: 'pem' }) as string;

  return [
    ['JwtValidationService (node:crypto), cache off', (t) => cacheOff.verifyAccessToken(t)],
    ['JwtValidationService, cache on (hit), verifyAccessToken', (t) => cacheOn.verifyAccessToken(t)],
    [
      'JwtValidationService, cache on (hit), cachedClaims (guard fast path, sync)',
      (t) => {
        if (!cacheOn.cachedClaims(t, 'access')) throw new Error('expected a cache hit');
      },
    ],
    ['aws-jwt-verify CognitoJwtVerifier', (t) => aws.verify(t)],
    [
      'jose jwtVerify',
      async (t) => {
        const { payload } = await jwtVerify(t, remote, { issuer: AWS_ISSUER, algorithms: ['RS256'], requiredClaims: ['exp', 'iat'] });
        checkAccess(payload as Record<string, unknown>);
      },
    ],
    [
      'jsonwebtoken, PEM key',
      (t) => {
        const payload = jwt.verify(t, pem, { algorithms: ['RS256'], issuer: AWS_ISSUER }) as jwt.JwtPayload;
        checkAccess(payload as Record<string, unknown>);
      },
    ],
    ['signature only: jose compactVerify (WebCrypto)', (t) => compactVerify(t, keyObject, { algorithms: ['RS256'] })],
    [
      'signature only: node:crypto verify',
      (t) => {
        const dot = t.lastIndexOf('.');
        if (!cryptoVerify('sha256', Buffer.from(t.slice(0, dot), 'ascii'), keyObject, Buffer.from(t.slice(dot + 1), 'base64url'))) {
          throw new Error('bad signature');
        }
      },
    ],
  ];
}

async function main(): Promise<void> {
  const idp = await startIdp();
  try {
    const tokens = await mintMany(POOL, () => issueAccessToken(idp));
    const verifiers = await verifiersFor(idp, tokens);
    const results: MicroResult[] = [];
    for (const [name, verify] of verifiers) {
      await verify(tokens[0]); // throws if the verifier is misconfigured
      await measure(verify, tokens, 8, Math.min(300, MS / 3)); // warm-up
      const sequential = await measure(verify, tokens, 1, MS);
      const concurrent64 = await measure(verify, tokens, 64, MS);
      results.push({ verifier: name, sequential, concurrent64 });
    }
    process.send?.({ type: 'micro', pool: POOL, msPerMeasurement: MS, results });
  } finally {
    await idp.close();
  }
}

runAsChild(main);
