import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const SALT = 'nest-cognito-auth/shared-state';
const FORMAT = 'v1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Protects what the library keeps in a `CognitoStateStore`: values are sealed with AES-256-GCM
 * (a random 96-bit IV per value, the 128-bit tag checked on opening, the store key as
 * additional authenticated data so a value cannot be moved to another key), and store keys
 * derived from tokens or identifiers are HMAC-SHA256 hashes, never the token or a part of it.
 *
 * Both keys are derived from the state key (`COGNITO_STATE_KEY`) with HKDF-SHA256 (RFC 5869),
 * so every instance configured with the same state key reads what the others wrote. Without a
 * state key (the per-process store) the keys are random for this process.
 */
export class StateCipher {
  private readonly encryptionKey: Buffer;
  private readonly hashKey: Buffer;

  /** @param stateKey the shared secret (at least 32 characters); undefined: random, this process only */
  constructor(stateKey: string | undefined) {
    const secret = stateKey === undefined ? randomBytes(32) : Buffer.from(stateKey, 'utf8');
    this.encryptionKey = Buffer.from(hkdfSync('sha256', secret, SALT, 'aes-256-gcm', 32));
    this.hashKey = Buffer.from(hkdfSync('sha256', secret, SALT, 'hmac-sha256 keys', 32));
  }

  /** A store-safe name for `parts` (a token, an id...): base64url HMAC-SHA256, 43 characters. */
  hash(...parts: readonly string[]): string {
    const hmac = createHmac('sha256', this.hashKey);
    for (const part of parts) hmac.update(String(part.length)).update(':').update(part, 'utf8');
    return hmac.digest('base64url');
  }

  /** Encrypts `plaintext`, bound to `context` (the store key or channel it is written to). */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return FORMAT + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  /**
   * The plaintext of a value `seal` made for the same `context`, or `undefined` when it was
   * altered, made with another state key or for another context, or is not a sealed value.
   */
  open(sealed: string, context: string): string | undefined {
    if (typeof sealed !== 'string' || !sealed.startsWith(FORMAT)) return undefined;
    const raw = Buffer.from(sealed.slice(FORMAT.length), 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}

const processCiphers = new WeakMap<object, StateCipher>();

/**
 * The cipher for what is kept in `store`: from the state key for a shared store, else one random
 * cipher per store for this process (every service using a per-process store reads what the
 * others wrote, and nothing outside the process can).
 */
export function cipherFor(store: { readonly perProcess?: boolean }, stateKey: string | undefined): StateCipher {
  if (!store.perProcess && stateKey !== undefined) return new StateCipher(stateKey);
  let cipher = processCiphers.get(store);
  if (!cipher) processCiphers.set(store, (cipher = new StateCipher(undefined)));
  return cipher;
}
