import { createHmac, randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** RFC 6238 defaults, as Cognito and authenticator apps use them. */
const STEP_SECONDS = 30;
const DIGITS = 6;

/** Base32 (RFC 4648 section 6) without padding. */
export function base32Encode(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** Base32 (RFC 4648) to bytes; padding and case are ignored. */
export function base32Decode(text: string): Buffer {
  const clean = text.toUpperCase().replace(/=+$/, '');
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of clean) {
    const index = ALPHABET.indexOf(char);
    if (index < 0) throw new Error('not base32');
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** A new TOTP secret as Cognito hands it out (base32, 32 characters). */
export function createTotpSecret(): string {
  return base32Encode(randomBytes(20));
}

/** HOTP (RFC 4226): HMAC-SHA1 of the counter, dynamically truncated to 6 digits. */
function hotp(key: Buffer, counter: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 10 ** DIGITS).padStart(DIGITS, '0');
}

/**
 * The TOTP code (RFC 6238: 30-second steps, 6 digits, SHA-1) of a base32 secret at `atMs`
 * (default now): what an authenticator app shows. For tests answering `SOFTWARE_TOKEN_MFA`.
 */
export function totpCode(secret: string, atMs: number = Date.now()): string {
  return hotp(base32Decode(secret), Math.floor(atMs / 1000 / STEP_SECONDS));
}

/** The time step `code` matches at `nowMs`, allowing one step of drift either way; undefined when none. */
export function matchTotp(secret: string, code: string, nowMs: number): number | undefined {
  const key = base32Decode(secret);
  const step = Math.floor(nowMs / 1000 / STEP_SECONDS);
  for (const candidate of [step, step - 1, step + 1]) if (hotp(key, candidate) === code) return candidate;
  return undefined;
}
