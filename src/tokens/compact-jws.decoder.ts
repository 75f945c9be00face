import { createHash, type KeyObject, verify } from 'node:crypto';
import { TokenInvalidError } from '../errors/cognito-auth.errors.js';

/** A decoded JSON object of a token (header or payload), before its members are checked. */
export type JsonObject = Record<string, unknown>;

/** The three segments of a compact JWS (RFC 7515 section 7.1). */
export interface CompactJws {
  readonly header: string;
  readonly payload: string;
  readonly signature: string;
}

/** A compact JWS whose JOSE header passed the RS256 rules, with its `kid` and the bytes its signature covers. */
export interface Rs256Jws extends CompactJws {
  readonly kid: string;
  /** `header.payload`, the JWS signing input (RFC 7515 section 5.2). */
  readonly signingInput: string;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const FORBIDDEN_MEMBERS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_DEPTH = 32;
const decoder = new TextDecoder('utf-8', { fatal: true });
/** Header segments that passed the RS256 rules → their kid. Tokens signed with one key share one header. */
const passedHeaders = new Map<string, string>();
const MAX_PASSED_HEADERS = 64;

/**
 * Splits a compact JWS into its three segments, each non-empty unpadded base64url in its one
 * canonical form.
 * @throws TokenInvalidError
 */
export function splitCompactJws(token: string, label: string): CompactJws {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  const header = token.slice(0, first);
  const payload = token.slice(first + 1, second);
  const signature = token.slice(second + 1);
  if (second < 0 || token.indexOf('.', second + 1) >= 0 || !isSegment(header) || !isSegment(payload) || !isSegment(signature)) {
    throw new TokenInvalidError(`${label} is not a compact JWS`);
  }
  return { header, payload, signature };
}

/** A non-empty base64url segment in its one canonical form. */
function isSegment(segment: string): boolean {
  return SEGMENT.test(segment) && isCanonicalBase64url(segment);
}

/**
 * Splits a token and checks its JOSE header: `alg` RS256, no `crit`, a non-empty string `kid`
 * (RFC 7515 section 4.1, RFC 7518 section 3.3). The answer depends on the header segment alone,
 * so a segment that passed is remembered (a few dozen at most, forgotten all at once when full):
 * the tokens of one signing key share it, and their header is decoded once.
 * @throws TokenInvalidError
 */
export function splitRs256Jws(token: string, label: string): Rs256Jws {
  const { header, payload, signature } = splitCompactJws(token, label);
  let kid = passedHeaders.get(header);
  if (kid === undefined) {
    const decoded = decodeJsonSegment(header);
    if (decoded.alg !== 'RS256') throw new TokenInvalidError(`${label} is not signed with RS256`);
    if ('crit' in decoded) throw new TokenInvalidError(`${label} has a crit header`);
    if (typeof decoded.kid !== 'string' || decoded.kid === '') throw new TokenInvalidError(`${label} has no kid`);
    kid = decoded.kid;
    if (passedHeaders.size >= MAX_PASSED_HEADERS) passedHeaders.clear();
    passedHeaders.set(header, kid);
  }
  return { header, payload, signature, kid, signingInput: token.slice(0, header.length + 1 + payload.length) };
}

/**
 * Bytes reused by every check made on this thread: the signing input and the signature are written
 * into them rather than into new buffers (a check is synchronous, so no two share them at once).
 * Two fresh buffers per token took a slice of Node's buffer pool each, and a new pool every few
 * tokens. They grow to the longest token seen, which `maxTokenLength` bounds.
 */
let signingBytes = Buffer.allocUnsafe(4096);
let signatureBytes = Buffer.allocUnsafe(1024);

/** Whether the RS256 signature (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 section 3.3) of `jws` holds under `key`, checked on this thread. */
export function rs256Holds(jws: Pick<Rs256Jws, 'signingInput' | 'signature'>, key: KeyObject): boolean {
  const { signingInput, signature } = jws;
  if (signingInput.length > signingBytes.length) signingBytes = Buffer.allocUnsafe(signingInput.length);
  // base64url decodes to 3 bytes per 4 characters: as many bytes as characters is room enough
  if (signature.length > signatureBytes.length) signatureBytes = Buffer.allocUnsafe(signature.length);
  const data = signingBytes.subarray(0, signingBytes.write(signingInput, 0, 'latin1'));
  return verify('sha256', data, key, signatureBytes.subarray(0, signatureBytes.write(signature, 0, 'base64url')));
}

/** The same check on libuv's thread pool: this thread goes on with other work meanwhile. */
export function rs256HoldsOnPool(jws: Pick<Rs256Jws, 'signingInput' | 'signature'>, key: KeyObject): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    verify('sha256', Buffer.from(jws.signingInput, 'latin1'), key, Buffer.from(jws.signature, 'base64url'), (err, holds) =>
      err ? reject(err) : resolve(holds),
    );
  });
}

/**
 * Whether an unpadded base64url string (alphabet already checked) is the only encoding of its
 * bytes: its length leaves no lone character, and the unused low bits of its last character are
 * zero (RFC 4648 sections 3.5 and 5). Otherwise several strings decode to one signature, and a
 * token could be altered without breaking it.
 */
export function isCanonicalBase64url(segment: string): boolean {
  const rest = segment.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const last = BASE64URL.indexOf(segment[segment.length - 1]);
  return rest === 2 ? (last & 0x0f) === 0 : (last & 0x03) === 0;
}

/**
 * Decodes a base64url segment holding a JSON object, refusing `__proto__`, `constructor` and
 * `prototype` members at any depth, and nesting deeper than 32.
 * @throws TokenInvalidError
 */
export function decodeJsonSegment(segment: string): JsonObject {
  return parseJsonObject(decodeSegmentText(segment));
}

/**
 * The UTF-8 text of a base64url segment; bytes that are not UTF-8 are refused.
 * @throws TokenInvalidError
 */
export function decodeSegmentText(segment: string): string {
  try {
    return decoder.decode(Buffer.from(segment, 'base64url'));
  } catch {
    throw new TokenInvalidError('Token segment is not JSON');
  }
}

/**
 * Parses JSON text holding an object, refusing `__proto__`, `constructor` and `prototype`
 * members at any depth, and nesting deeper than 32. The object comes back deep-frozen: the one walk
 * that looks for those members freezes what it passes (verified claims are shared by every request
 * carrying the token).
 * @throws TokenInvalidError
 */
export function parseJsonObject(text: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TokenInvalidError('Token segment is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new TokenInvalidError('Token segment is not a JSON object');
  // JSON.parse makes "__proto__" an own member (it does not set the prototype): find it by walking.
  if (!checkedAndFrozen(value, 0)) throw new TokenInvalidError('Token has a forbidden member');
  return value as JsonObject;
}

/**
 * The `token_use` a token claims, read from its payload without verifying anything: only to send
 * a lone token to the verifier of its kind, which then checks everything, `token_use` included.
 * `undefined` when the token is too long, not a compact JWS, or names neither use. Never throws.
 */
export function peekTokenUse(token: string, maxLength: number): 'access' | 'id' | undefined {
  if (typeof token !== 'string' || token.length > maxLength) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || !SEGMENT.test(parts[1])) return undefined;
  try {
    const use = decodeJsonSegment(parts[1]).token_use;
    return use === 'access' || use === 'id' ? use : undefined;
  } catch {
    return undefined;
  }
}

/** Freezes an object and every object under it. */
export function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value))
    if (child !== null && typeof child === 'object' && !Object.isFrozen(child)) deepFreeze(child as object);
  return Object.freeze(value);
}

/** base64url of the left half of SHA-256 over the ASCII access token (OIDC Core section 3.1.3.6, `at_hash`). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
}

/** False when a forbidden member or nesting deeper than 32 is found; otherwise freezes `value` and everything under it, and true. */
function checkedAndFrozen(value: object, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_MEMBERS.has(key)) return false;
    const child = (value as Record<string, unknown>)[key];
    if (child !== null && typeof child === 'object' && !checkedAndFrozen(child, depth + 1)) return false;
  }
  Object.freeze(value);
  return true;
}
