/**
 * Signing for hostile tests: any header and payload *bytes* (so members like `__proto__`, invalid
 * UTF-8 or non-object JSON can be signed for real) with RSASSA-PKCS1-v1_5 / SHA-256.
 */
import { createHash, KeyObject, sign, webcrypto } from 'node:crypto';
import type { TestSigningKey } from '../../../src/testing/index.js';

export function b64u(input: string | Uint8Array): string {
  return (typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input)).toString('base64url');
}

/** The private key of a test identity provider key as a KeyObject (sync signing, ~0.25 ms). */
export function privateKeyObject(key: TestSigningKey): KeyObject {
  return KeyObject.from(key.privateKey as webcrypto.CryptoKey);
}

/** A compact JWS over exactly these header and payload bytes, signed RS256 with `key`. */
export function signRaw(header: string | Uint8Array, payload: string | Uint8Array, key: KeyObject): string {
  const input = `${b64u(header)}.${b64u(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input, 'ascii'), key).toString('base64url')}`;
}

/** OIDC `at_hash` of an access token (RS256). */
export function atHashOf(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
}

/**
 * JSON text of `members` with `raw` members written first, each as a name and its JSON text
 * verbatim, so members JSON.stringify cannot produce from an object (an own `__proto__`, a nested
 * `constructor`, a duplicate `alg`) can be signed for real.
 */
export function jsonWithRaw(members: Record<string, unknown>, raw: readonly (readonly [string, string])[] = []): string {
  const body = JSON.stringify(members).slice(1, -1);
  const extra = raw.map(([name, json]) => `${JSON.stringify(name)}:${json}`).join(',');
  return `{${[extra, body].filter((s) => s.length > 0).join(',')}}`;
}
