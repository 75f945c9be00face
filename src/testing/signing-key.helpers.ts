import { createHash, KeyObject, randomBytes, sign, webcrypto, type JsonWebKey } from 'node:crypto';

/**
 * A JSON Web Key (RFC 7517) as the test identity provider publishes it. Only `node:crypto` is
 * used here, never jose (which is ESM-only), so `nest-cognito-auth/testing` also loads under
 * Jest's default CommonJS setup.
 */
export interface TestJwk extends JsonWebKey {
  /** Key ID (RFC 7517 section 4.5). */
  kid?: string;
  /** Algorithm the key is meant for (RFC 7517 section 4.4), `RS256` here. */
  alg?: string;
  /** Public key use (RFC 7517 section 4.2), `sig` here. */
  use?: string;
}

/** An RS256 signing key of the test identity provider. */
export interface TestSigningKey {
  /** The JOSE `kid` it signs with and is published under. */
  readonly kid: string;
  /**
   * The private key: an extractable WebCrypto `RSASSA-PKCS1-v1_5` / SHA-256 key (also usable with
   * jose; `KeyObject.from(privateKey)` gives a `node:crypto` key).
   */
  readonly privateKey: webcrypto.CryptoKey;
  /** The public key as published in the JWKS: `kty`, `n`, `e`, `kid`, `alg: 'RS256'`, `use: 'sig'`. */
  readonly publicJwk: Readonly<TestJwk>;
}

/** RSA 2048 with e = 65537, the key Cognito itself signs with. */
const RS256_KEY_PARAMS: webcrypto.RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
};

/** Creates a fresh RSA 2048 RS256 key; `kid` defaults to a random base64url string. */
export async function createSigningKey(kid: string = randomBytes(16).toString('base64url')): Promise<TestSigningKey> {
  // WebCrypto generates off the main thread; the result is exported with node:crypto.
  const { privateKey, publicKey } = await webcrypto.subtle.generateKey(RS256_KEY_PARAMS, true, ['sign', 'verify']);
  const jwk = KeyObject.from(publicKey).export({ format: 'jwk' });
  const publicJwk: TestJwk = { kty: jwk.kty, e: jwk.e, n: jwk.n, kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey, publicJwk: Object.freeze(publicJwk) };
}

/** Encodes a value as base64url JSON. */
function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** Copies `base` with `overrides` applied; an override whose value is `undefined` deletes the member. */
export function mergeClaims(base: Record<string, unknown>, overrides: Record<string, unknown> | undefined): Record<string, unknown> {
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
export async function signJws(payload: Record<string, unknown>, key: TestSigningKey, header?: Record<string, unknown>): Promise<string> {
  const protectedHeader = mergeClaims({ alg: 'RS256', kid: key.kid }, header);
  const signingInput = `${encodeSegment(protectedHeader)}.${encodeSegment(payload)}`;
  // RS256 is RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 section 3.3), node:crypto's default for RSA keys.
  const signature = sign('sha256', Buffer.from(signingInput, 'ascii'), KeyObject.from(key.privateKey));
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** OIDC `at_hash` for RS256: base64url of the left half of SHA-256 over the ASCII access token. */
export function atHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
}
