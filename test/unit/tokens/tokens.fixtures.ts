import { generateKeyPairSync, randomBytes, webcrypto, type JsonWebKey } from 'node:crypto';
import type { CognitoAuthModuleOptions, CognitoAuthSettings } from '../../../src/options/cognito-auth.options.js';
import { resolveCognitoSettings } from '../../../src/options/settings.resolver.js';
import type { TestSigningKey } from '../../../src/testing/signing-key.helpers.js';
import type { TestIdentityProvider } from '../../../src/testing/test-identity-provider.js';
import type { JwksFetch } from '../../../src/tokens/jwks.cache.js';
import { JwtValidationService } from '../../../src/tokens/jwt-validation.service.js';
import type { ManualClock } from '../../support/clock.js';

// The clock helpers live in test/support/clock.ts (the security suite uses them too); re-exported
// here so the tokens specs keep importing them from their fixtures.
export { ManualClock, waitFor } from '../../support/clock.js';

/** base64url of a JSON text given verbatim (so hostile members such as `"__proto__"` survive). */
export function segment(json: string): string {
  return Buffer.from(json, 'utf8').toString('base64url');
}

/** Signs `<header>.<payload>` (segments given as they are, canonical or not) with RS256. */
export async function signSegments(header: string, payload: string, key: TestSigningKey): Promise<string> {
  const input = `${header}.${payload}`;
  const signature = await webcrypto.subtle.sign('RSASSA-PKCS1-v1_5', key.privateKey, Buffer.from(input, 'ascii'));
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

/**
 * The same bytes in a non-canonical spelling: sets the lowest unused bit of the last character
 * (RFC 4648 section 3.5). Only segments whose length is 2 or 3 mod 4 have unused bits.
 */
export function nonCanonical(b64url: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  if (b64url.length % 4 < 2) throw new Error('segment has no unused bits');
  const last = alphabet.indexOf(b64url[b64url.length - 1]);
  const altered = b64url.slice(0, -1) + alphabet[last | 1];
  if (!Buffer.from(altered, 'base64url').equals(Buffer.from(b64url, 'base64url'))) throw new Error('bytes changed');
  return altered;
}

/** A fresh RSA public JWK of a real key pair (`n`, `e`) under `kid`. */
export function rsaJwk(kid: string, modulusLength = 2048): JsonWebKey {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength });
  return { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
}

/**
 * An RSA public JWK with a random modulus of exactly `bits` bits (not a product of two primes:
 * importing a public key does not check that), so sizes no one would generate can be tested.
 */
export function rsaJwkOfSize(kid: string, bits: number): JsonWebKey {
  const n = randomBytes(Math.ceil(bits / 8));
  const spare = n.length * 8 - bits;
  n[0] = (n[0] | 0x80) >> spare; // top bit set: the modulus has exactly `bits` bits
  n[n.length - 1] |= 1;
  return { kty: 'RSA', n: n.toString('base64url'), e: 'AQAB', kid, alg: 'RS256', use: 'sig' };
}

/** How the in-process JWKS endpoint answers the next fetches. */
export type EndpointMode = 'ok' | 'fail' | 'hang' | 'hang-ignoring-signal' | 'endless-body' | 'not-json';

/**
 * An in-process JWKS endpoint behind the `fetch` seam. It stands in for a loopback server where
 * the test must decide exactly when an answer arrives (single flight), set `Cache-Control`, serve
 * keys no generator makes (over 8192 bits), or stream a body that never ends; each call builds a
 * real `Response`.
 */
export class JwksEndpoint {
  keys: JsonWebKey[] = [];
  mode: EndpointMode = 'ok';
  cacheControl: string | undefined;
  /** Bodies are served without `content-length` (streamed) when true. */
  chunked = false;
  /** Extra bytes appended to the body, to test the size cap. */
  padding = 0;
  calls = 0;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  /** Holds every answer until `release()` (fetches still count when they start). */
  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  readonly fetch: JwksFetch = async (_url, init) => {
    this.calls++;
    if (this.gate) await this.gate;
    const signal = init.signal ?? undefined;
    if (this.mode === 'hang') return new Promise<Response>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
    if (this.mode === 'hang-ignoring-signal') return new Promise<Response>(() => undefined);
    if (this.mode === 'fail') return new Response('{"message":"down"}', { status: 500 });
    if (this.mode === 'endless-body') return new Response(new ReadableStream({ pull: () => undefined }), { status: 200 });
    const body = this.mode === 'not-json' ? '{"keys": [' : JSON.stringify({ keys: this.keys, pad: 'x'.repeat(this.padding) });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.cacheControl !== undefined) headers['cache-control'] = this.cacheControl;
    if (!this.chunked) return new Response(body, { status: 200, headers });
    const bytes = Buffer.from(body);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 1024) controller.enqueue(bytes.subarray(i, i + 1024));
        controller.close();
      },
    });
    return new Response(stream, { status: 200, headers });
  };
}

/** The settings of a service pointed at `idp`, with `overrides` applied. */
export function settingsFor(idp: TestIdentityProvider, overrides: CognitoAuthModuleOptions = {}): CognitoAuthSettings {
  return resolveCognitoSettings({ ...idp.moduleOptions(), ...overrides }, () => undefined);
}

/** A JwtValidationService on `clock`; `init` runs the start-up fetch. Close it with `onModuleDestroy()`. */
export async function serviceFor(
  settings: CognitoAuthSettings,
  clock: ManualClock,
  { init = true }: { init?: boolean } = {},
): Promise<JwtValidationService> {
  const service = new JwtValidationService(settings, clock.now);
  if (init) await service.onModuleInit();
  return service;
}

/** The decoded payload of a compact JWS, unverified (for building variants of a token). */
export function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}
