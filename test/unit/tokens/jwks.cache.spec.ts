import { Logger } from '@nestjs/common';
import { AuthUnavailableError, TokenInvalidError } from '../../../src/errors/cognito-auth.errors.js';
import { JwksCache, type JwksCacheOptions } from '../../../src/tokens/jwks.cache.js';
import { jwksMaxAgeMs } from '../../../src/tokens/jwks.parser.js';
import { CaptureLogger } from '../../support/capture-logger.js';
import { JwksEndpoint, ManualClock, rsaJwk, rsaJwkOfSize } from './tokens.fixtures.js';

// The JWKS endpoint is played in-process through the `fetch` seam (see JwksEndpoint): these tests
// decide when each answer arrives, what Cache-Control it carries and which key sizes it serves,
// which the loopback TestIdentityProvider cannot. The service spec fetches over real HTTP.

const COOLDOWN = 10_000;
const T0 = Date.UTC(2030, 0, 1);
const HOUR = 3_600_000;

describe('JwksCache', () => {
  const keyA = rsaJwk('key-a');
  const keyB = rsaJwk('key-b');
  let endpoint: JwksEndpoint;
  let clock: ManualClock;
  let cache: JwksCache;
  let logger: CaptureLogger;

  const create = (options: Partial<JwksCacheOptions> = {}): JwksCache =>
    new JwksCache({
      jwksUri: 'https://idp.test/pool/.well-known/jwks.json',
      timeoutMs: 3000,
      cooldownMs: COOLDOWN,
      retryAfterSeconds: 5,
      now: clock.now,
      fetch: endpoint.fetch,
      ...options,
    });

  beforeEach(() => {
    endpoint = new JwksEndpoint();
    endpoint.keys = [keyA];
    clock = new ManualClock(T0);
    cache = create();
    logger = new CaptureLogger();
    Logger.overrideLogger(logger);
  });
  afterEach(() => cache.close());

  describe('lookups', () => {
    it('answers a known kid from memory with no fetch', async () => {
      await cache.refresh();
      expect(cache.peek('key-a')).toBeDefined();
      await expect(cache.getKey('key-a')).resolves.toBe(cache.peek('key-a'));
      expect(endpoint.calls).toBe(1);
    });

    it('an unknown kid after the cooldown triggers one refetch that finds it', async () => {
      await cache.refresh();
      endpoint.keys = [keyA, keyB];
      clock.advance(COOLDOWN);
      await expect(cache.getKey('key-b')).resolves.toBeDefined();
      expect(endpoint.calls).toBe(2);
    });

    it('an unknown kid inside the cooldown is token_invalid with no fetch', async () => {
      await cache.refresh();
      endpoint.keys = [keyA, keyB];
      clock.advance(COOLDOWN - 1);
      await expect(cache.getKey('key-b')).rejects.toBeInstanceOf(TokenInvalidError);
      expect(endpoint.calls).toBe(1);
    });

    it('a second unknown kid inside the cooldown of a refetch is token_invalid with no fetch', async () => {
      await cache.refresh();
      clock.advance(COOLDOWN);
      await expect(cache.getKey('rogue-1')).rejects.toBeInstanceOf(TokenInvalidError);
      expect(endpoint.calls).toBe(2);
      clock.advance(COOLDOWN - 1);
      await expect(cache.getKey('rogue-2')).rejects.toBeInstanceOf(TokenInvalidError);
      expect(endpoint.calls).toBe(2);
    });

    it('counts the cooldown from the start-up fetch', async () => {
      await cache.refresh();
      endpoint.keys = [keyA, keyB];
      clock.advance(COOLDOWN / 2);
      await expect(cache.getKey('key-b')).rejects.toBeInstanceOf(TokenInvalidError);
      clock.advance(COOLDOWN / 2);
      await expect(cache.getKey('key-b')).resolves.toBeDefined();
      expect(endpoint.calls).toBe(2);
    });

    it('an unknown kid whose refetch failed is auth_unavailable with Retry-After', async () => {
      await cache.refresh();
      endpoint.mode = 'fail';
      clock.advance(COOLDOWN);
      const err = await cache.getKey('key-b').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthUnavailableError);
      expect(err).toMatchObject({ code: 'auth_unavailable', retryAfterSeconds: 5 });
    });

    it('with no key set ever loaded, a lookup inside the cooldown is auth_unavailable', async () => {
      endpoint.mode = 'fail';
      await cache.refresh();
      endpoint.mode = 'ok';
      await expect(cache.getKey('key-a')).rejects.toBeInstanceOf(AuthUnavailableError);
      expect(endpoint.calls).toBe(1);
    });

    it('concurrent unknown-kid lookups share one fetch (single flight)', async () => {
      endpoint.hold();
      const lookups = Array.from({ length: 50 }, () => cache.getKey('key-a'));
      expect(endpoint.calls).toBe(1);
      endpoint.release();
      const keys = await Promise.all(lookups);
      expect(new Set(keys).size).toBe(1);
      expect(endpoint.calls).toBe(1);
    });

    it('a known kid is answered while a refetch for an unknown kid is in flight', async () => {
      await cache.refresh();
      clock.advance(COOLDOWN);
      endpoint.hold();
      const unknown = cache.getKey('key-b');
      await expect(cache.getKey('key-a')).resolves.toBeDefined();
      endpoint.release();
      await expect(unknown).rejects.toBeInstanceOf(TokenInvalidError);
    });
  });

  describe('refetches', () => {
    it.each(['fail', 'not-json'] as const)('keeps the last good key set when a refetch fails (%s: stale-if-error)', async (mode) => {
      await cache.refresh();
      endpoint.mode = mode;
      await expect(cache.refresh()).resolves.toBe(false);
      expect(cache.peek('key-a')).toBeDefined();
    });

    it('keeps the last good key set when a refetch lists no usable key', async () => {
      await cache.refresh();
      endpoint.keys = [{ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA', kid: 'key-a' }];
      await expect(cache.refresh()).resolves.toBe(false);
      expect(cache.peek('key-a')).toBeDefined();
    });

    it('a refetch that no longer lists a kid drops that key', async () => {
      endpoint.keys = [keyA, keyB];
      await cache.refresh();
      endpoint.keys = [keyB];
      await cache.refresh();
      expect(cache.peek('key-a')).toBeUndefined();
      expect(cache.size).toBe(1);
      // Logged by count: a kid is part of every token signed with it.
      expect(logger.lines.filter((l) => l.includes('dropped or replaced 1 key'))).toHaveLength(1);
      expect(logger.lines.filter((l) => l.includes('key-a'))).toEqual([]);
    });

    it('an unchanged key keeps its KeyObject across refetches', async () => {
      await cache.refresh();
      const before = cache.peek('key-a');
      await cache.refresh();
      expect(cache.peek('key-a')).toBe(before);
    });

    it('a key replaced under the same kid gets a new KeyObject', async () => {
      await cache.refresh();
      const before = cache.peek('key-a');
      endpoint.keys = [{ ...keyB, kid: 'key-a' }];
      await cache.refresh();
      expect(cache.peek('key-a')).not.toBe(before);
    });

    it('refetches in the background once the key set is older than one hour, answering meanwhile', async () => {
      await cache.refresh();
      endpoint.hold();
      clock.advance(HOUR - 1);
      expect(cache.peek('key-a')).toBeDefined();
      expect(endpoint.calls).toBe(1);
      clock.advance(1);
      endpoint.keys = [keyB];
      expect(cache.peek('key-a')).toBeDefined(); // not waiting for the refetch it started
      expect(endpoint.calls).toBe(2);
      endpoint.release();
      await cache.refresh(); // joins the background fetch
      expect(cache.peek('key-a')).toBeUndefined();
      expect(endpoint.calls).toBe(2);
    });

    it("takes the key set's lifetime from Cache-Control max-age", async () => {
      endpoint.cacheControl = 'public, max-age=600, must-revalidate';
      await cache.refresh();
      expect(cache.status().maxAgeMs).toBe(600_000);
      clock.advance(600_000);
      cache.peek('key-a');
      expect(endpoint.calls).toBe(2);
    });

    it('a stale key set whose refetch fails is retried once per cooldown, not on every lookup', async () => {
      await cache.refresh();
      endpoint.mode = 'fail';
      clock.advance(HOUR);
      cache.peek('key-a');
      await cache.refresh(); // joins it
      expect(endpoint.calls).toBe(2);
      for (let i = 0; i < 10; i++) expect(cache.peek('key-a')).toBeDefined();
      expect(endpoint.calls).toBe(2);
      clock.advance(COOLDOWN);
      cache.peek('key-a');
      expect(endpoint.calls).toBe(3);
    });
  });

  describe('limits', () => {
    it.each(['hang', 'hang-ignoring-signal', 'endless-body'] as const)(
      'a fetch that does not finish within timeoutMs fails as timed out (%s)',
      async (mode) => {
        cache = create({ timeoutMs: 20 });
        endpoint.mode = mode;
        await expect(cache.refresh()).resolves.toBe(false);
        expect(cache.status().lastError).toBe('timed out');
        await expect(cache.getKey('key-a')).rejects.toBeInstanceOf(AuthUnavailableError);
      },
    );

    it.each([false, true])('refuses a body over maxBodyBytes (streamed: %s)', async (chunked) => {
      cache = create({ maxBodyBytes: 4096 });
      endpoint.chunked = chunked;
      endpoint.padding = 5000;
      await expect(cache.refresh()).resolves.toBe(false);
      expect(cache.status().lastError).toBe('JWKS body larger than 4096 bytes');
      endpoint.padding = 0;
      await expect(cache.refresh()).resolves.toBe(true);
    });

    it('ignores RSA keys under 2048 bits', async () => {
      endpoint.keys = [keyA, rsaJwkOfSize('small', 2047)];
      await cache.refresh();
      expect(cache.peek('small')).toBeUndefined();
    });

    it('ignores RSA keys over 8192 bits, and takes 8192', async () => {
      endpoint.keys = [keyA, rsaJwkOfSize('huge', 8200), rsaJwkOfSize('max', 8192)];
      await cache.refresh();
      expect(cache.peek('huge')).toBeUndefined();
      expect(cache.peek('max')?.asymmetricKeyDetails?.modulusLength).toBe(8192);
    });

    it('ignores keys that are not RS256 signing keys', async () => {
      endpoint.keys = [
        keyA,
        { ...keyB, kid: 'rs512', alg: 'RS512' },
        { ...keyB, kid: 'enc', use: 'enc' },
        { kty: 'oct', k: 'c2VjcmV0', kid: 'hmac', alg: 'HS256' },
        { ...keyB, kid: '' },
      ];
      await cache.refresh();
      expect(cache.size).toBe(1);
    });

    it('keeps the first of two keys listed under one kid', async () => {
      endpoint.keys = [keyA, { ...keyB, kid: 'key-a' }];
      await cache.refresh();
      expect(cache.peek('key-a')?.export({ format: 'jwk' }).n).toBe(keyA.n);
    });
  });

  describe('status and shutdown', () => {
    it('reports the key count, the age of the key set and the latest fetch error', async () => {
      expect(cache.status()).toEqual({
        keys: 0,
        fetchedAt: undefined,
        ageMs: undefined,
        maxAgeMs: HOUR,
        lastError: undefined,
        lastErrorAt: undefined,
      });
      await cache.refresh();
      clock.advance(5000);
      endpoint.mode = 'fail';
      await cache.refresh();
      expect(cache.status()).toEqual({
        keys: 1,
        fetchedAt: T0,
        ageMs: 5000,
        maxAgeMs: HOUR,
        lastError: 'JWKS endpoint answered HTTP 500',
        lastErrorAt: T0 + 5000,
      });
      endpoint.mode = 'ok';
      await cache.refresh();
      expect(cache.status()).toMatchObject({ fetchedAt: T0 + 5000, ageMs: 0, lastError: undefined });
    });

    it('close() aborts the fetch in flight and starts no more', async () => {
      endpoint.mode = 'hang';
      const fetching = cache.refresh();
      cache.close();
      await expect(fetching).resolves.toBe(false);
      await expect(cache.refresh()).resolves.toBe(false);
      expect(endpoint.calls).toBe(1);
    });
  });
});

describe('jwksMaxAgeMs', () => {
  it.each([
    [null, HOUR],
    ['no-store', HOUR],
    ['max-age=600', 600_000],
    ['public, max-age="900"', 900_000],
    ['s-maxage=600', HOUR],
    ['max-age=0', 60_000],
    ['max-age=31536000', 24 * HOUR],
  ])('Cache-Control %p gives %p ms', (header, ms) => {
    expect(jwksMaxAgeMs(header)).toBe(ms);
  });
});
