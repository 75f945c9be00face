import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Longer sealed or signed values are refused before any decoding. */
export const MAX_STATE_LENGTH = 8192;

/** What a sealed or signed value carries at least: its expiry, in epoch seconds. */
export interface ExpiringPayload {
  readonly e: number;
}

/**
 * Seals (AES-256-GCM) and signs (HMAC-SHA256) the flows' client-held state with keys derived from
 * the state key (HKDF-SHA256, one key per purpose, RFC 5869), so a value made for one purpose is
 * refused for the other. Opening checks integrity first and expiry second; any failure is
 * `undefined`, never an exception, and says nothing about why.
 */
export class FlowStateCrypto {
  private readonly sealKey: Buffer;
  private readonly signKey: Buffer;
  private onRandomKey: (() => void) | undefined;

  /**
   * @param stateKey the configured state key; without one a random per-process key is used (sealed
   *   values then do not survive a restart or reach another instance)
   * @param now epoch milliseconds
   * @param onRandomKey called once, on the first value made with the random key (to warn)
   */
  constructor(
    stateKey: string | undefined,
    private readonly now: () => number,
    onRandomKey?: () => void,
  ) {
    const ikm = stateKey !== undefined ? Buffer.from(stateKey, 'utf8') : randomBytes(32);
    this.sealKey = derive(ikm, 'challenge-session');
    this.signKey = derive(ikm, 'oauth-cookie');
    this.onRandomKey = stateKey === undefined ? onRandomKey : undefined;
  }

  /** Encrypts and authenticates `payload` (JSON) as `v1.<base64url(iv | ciphertext | tag)>`. */
  seal(payload: ExpiringPayload): string {
    this.warnOnce();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.sealKey, iv);
    cipher.setAAD(Buffer.from(VERSION));
    const body = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** The payload of a value `seal` made, unless it was altered, made with another key, or expired. */
  open<T extends ExpiringPayload>(value: unknown): T | undefined {
    const raw = decodePart(value, `${VERSION}.`);
    if (!raw || raw.length < IV_BYTES + TAG_BYTES + 1) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.sealKey, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(VERSION));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
      return this.unexpired<T>(JSON.parse(plain.toString('utf8')));
    } catch {
      return undefined;
    }
  }

  /** Signs `payload` (JSON, readable by its holder) as `v1.<base64url(json)>.<base64url(hmac)>`. */
  sign(payload: ExpiringPayload): string {
    this.warnOnce();
    const body = `${VERSION}.${Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url')}`;
    return `${body}.${this.mac(body).toString('base64url')}`;
  }

  /** The payload of a value `sign` made, unless its signature is wrong (compared in constant time) or it expired. */
  verify<T extends ExpiringPayload>(value: unknown): T | undefined {
    if (typeof value !== 'string' || value.length > MAX_STATE_LENGTH) return undefined;
    const dot = value.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const body = value.slice(0, dot);
    const given = decodePart(value.slice(dot + 1), '');
    const expected = this.mac(body);
    if (!given || given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const json = decodePart(body, `${VERSION}.`);
    try {
      return json ? this.unexpired<T>(JSON.parse(json.toString('utf8'))) : undefined;
    } catch {
      return undefined;
    }
  }

  private warnOnce(): void {
    const warn = this.onRandomKey;
    this.onRandomKey = undefined;
    warn?.();
  }

  private mac(body: string): Buffer {
    return createHmac('sha256', this.signKey).update(body, 'utf8').digest();
  }

  private unexpired<T extends ExpiringPayload>(payload: unknown): T | undefined {
    if (typeof payload !== 'object' || payload === null) return undefined;
    const e = (payload as Partial<ExpiringPayload>).e;
    return typeof e === 'number' && e * 1000 > this.now() ? (payload as T) : undefined;
  }
}

function derive(ikm: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, Buffer.from('nest-cognito-auth'), Buffer.from(`flows:${purpose}`), 32));
}

/** The bytes of canonical base64url after `prefix`, or undefined. */
function decodePart(value: unknown, prefix: string): Buffer | undefined {
  if (typeof value !== 'string' || value.length > MAX_STATE_LENGTH || !value.startsWith(prefix)) return undefined;
  const text = value.slice(prefix.length);
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}
