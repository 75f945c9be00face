import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The server side of Cognito's SRP (`USER_SRP_AUTH`), written from RFC 5054 (SRP-6a over the
 * 3072-bit group of its appendix A, g = 2, SHA-256) and Cognito's published description of its
 * variant, independently of any client library, so that a client computing the other side is
 * checked against it. Ships only in `nest-cognito-auth/testing`.
 *
 * Cognito's variant: hex strings are two's-complement ("padded") big-endian; x = H(salt |
 * H(poolName | userId | ":" | password)); k = H(N | g); u = H(A | B); the session key is
 * HKDF-SHA256(ikm = S, salt = u, info = "Caldera Derived Key") cut to 16 bytes; the client proves it
 * with HMAC-SHA256(key, poolName | userId | secretBlock | timestamp), base64.
 */

/** RFC 5054 appendix A, the 3072-bit group's prime. */
export const N = BigInt(
  '0x' +
    'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
    'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
    'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F' +
    '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B' +
    'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510' +
    '15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7' +
    'ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C' +
    'BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF',
);
const G = 2n;
const INFO = Buffer.concat([Buffer.from('Caldera Derived Key', 'utf8'), Buffer.from([1])]);

/** Two's-complement hex of a non-negative integer: even length, a leading 00 when the top bit is set. */
export function padHex(value: bigint): string {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return /^[89a-f]/.test(hex) ? `00${hex}` : hex;
}

function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** H over the bytes of a hex string, as an integer. */
function hashOfHex(hex: string): bigint {
  return BigInt(`0x${sha256Hex(Buffer.from(hex, 'hex'))}`);
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

const K = hashOfHex(padHex(N) + padHex(G));

/** What the server keeps of a password: the salt and the verifier v = g^x. */
export interface SrpVerifier {
  /** Padded hex, as sent in `SALT`. */
  readonly salt: string;
  readonly verifier: bigint;
}

/** The verifier of `password` for `userId` in the pool named `poolName` (the part of the pool id after `_`). */
export function createVerifier(poolName: string, userId: string, password: string): SrpVerifier {
  const salt = padHex(BigInt(`0x${randomBytes(16).toString('hex')}`));
  const x = hashOfHex(salt + sha256Hex(`${poolName}${userId}:${password}`));
  return { salt, verifier: modPow(G, x, N) };
}

/** The server's ephemeral values of one sign-in. */
export interface SrpServerSession {
  readonly b: bigint;
  readonly B: bigint;
  /** Hex, as sent in `SRP_B`. */
  readonly srpB: string;
}

/** B = k·v + g^b (mod N), with a fresh b; never 0 mod N. */
export function startServerSession(v: SrpVerifier): SrpServerSession {
  for (;;) {
    const b = BigInt(`0x${randomBytes(32).toString('hex')}`);
    const B = (K * v.verifier + modPow(G, b, N)) % N;
    if (B !== 0n) return { b, B, srpB: B.toString(16) };
  }
}

/** What the client's `PASSWORD_VERIFIER` answer carries. */
export interface SrpClaim {
  /** `SRP_A`, hex. */
  readonly srpA: string;
  readonly poolName: string;
  /** `USER_ID_FOR_SRP`. */
  readonly userId: string;
  /** `PASSWORD_CLAIM_SECRET_BLOCK`, base64. */
  readonly secretBlock: string;
  /** `TIMESTAMP`, e.g. `Tue Dec 1 15:04:05 UTC 2026`. */
  readonly timestamp: string;
  /** `PASSWORD_CLAIM_SIGNATURE`, base64. */
  readonly signature: string;
}

/**
 * Whether the client proved it knows the password: S = (A·v^u)^b (mod N), the HKDF key, then the
 * expected signature compared in constant time. A = 0 (mod N) or u = 0 is refused (RFC 5054
 * section 2.5.4).
 */
export function verifyClaim(v: SrpVerifier, session: SrpServerSession, claim: SrpClaim): boolean {
  if (!/^[0-9a-fA-F]{1,2048}$/.test(claim.srpA)) return false;
  const A = BigInt(`0x${claim.srpA}`);
  if (A % N === 0n) return false;
  const u = hashOfHex(padHex(A) + padHex(session.B));
  if (u === 0n) return false;
  const S = modPow((A * modPow(v.verifier, u, N)) % N, session.b, N);
  const prk = createHmac('sha256', Buffer.from(padHex(u), 'hex'))
    .update(Buffer.from(padHex(S), 'hex'))
    .digest();
  const key = createHmac('sha256', prk).update(INFO).digest().subarray(0, 16);
  const message = Buffer.concat([
    Buffer.from(claim.poolName, 'utf8'),
    Buffer.from(claim.userId, 'utf8'),
    Buffer.from(claim.secretBlock, 'base64'),
    Buffer.from(claim.timestamp, 'utf8'),
  ]);
  const expected = createHmac('sha256', key).update(message).digest();
  const given = Buffer.from(claim.signature, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Cognito's SRP timestamp: `EEE MMM d HH:mm:ss UTC yyyy`, English names, day not padded. */
export const SRP_TIMESTAMP =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9] UTC [0-9]{4}$/;
