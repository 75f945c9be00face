import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

/** An RS256 signing key of the test identity provider. */
export interface TestSigningKey {
  /** The JOSE `kid` it signs with and is published under. */
  readonly kid: string;
  /** The private key (a WebCrypto `RSASSA-PKCS1-v1_5` / SHA-256 key, also usable with jose). */
  readonly privateKey: CryptoKey;
  /** The public key as published in the JWKS: `kty`, `n`, `e`, `kid`, `alg: 'RS256'`, `use: 'sig'`. */
  readonly publicJwk: Readonly<JWK>;
}

/** Creates a fresh RSA 2048 RS256 key; `kid` defaults to a random base64url string. */
export async function createSigningKey(kid: string = randomBytes(16).toString('base64url')): Promise<TestSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  const publicJwk: JWK = { kty: jwk.kty, e: jwk.e, n: jwk.n, kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey, publicJwk: Object.freeze(publicJwk) };
}

/** Encodes a value as base64url JSON. */
function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** Copies `base` with `overrides` applied; an override whose value is `undefined` deletes the member. */
export function mergeClaims(
  base: Record<string, unknown>,
  overrides: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(overrides ?? {})) {
    if (value === undefined) delete merged[name];
    else merged[name] = value;
  }
  return merged;
}

/**
 * Signs `payload` as a compact JWS with RSASSA-PKCS1-v1_5 / SHA-256 whatever the header says,
 * so hostile headers (`alg: 'none'`, unknown `crit`, no `kid`) can be produced. The header
 * starts as `{ alg: 'RS256', kid }` and `header` is merged over it (`undefined` removes a member).
 */
export async function signJws(
  payload: Record<string, unknown>,
  key: TestSigningKey,
  header?: Record<string, unknown>,
): Promise<string> {
  const protectedHeader = mergeClaims({ alg: 'RS256', kid: key.kid }, header);
  const signingInput = `${encodeSegment(protectedHeader)}.${encodeSegment(payload)}`;
  const signature = await webcrypto.subtle.sign(
    'RSASSA-PKCS1-v1_5',
    key.privateKey as webcrypto.CryptoKey,
    Buffer.from(signingInput, 'ascii'),
  );
  return `${signingInput}.${Buffer.from(signature).toString('base64url')}`;
}

/** OIDC `at_hash` for RS256: base64url of the left half of SHA-256 over the ASCII access token. */
export function atHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
}
