import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { COGNITO_AUTH_SETTINGS, COGNITO_CLOCK } from '../../../src/cognito-auth.constants.js';
import { resolveCognitoSettings } from '../../../src/options/settings.resolver.js';
import {
  CognitoRevocationService,
  REVOCATION_CHANNEL,
  type RevocableClaims,
} from '../../../src/shared-state/cognito-revocation.service.js';
import { InMemoryStateStore } from '../../../src/shared-state/in-memory-state.store.js';
import { COGNITO_STATE_STORE, type CognitoStateStore } from '../../../src/shared-state/state-store.interface.js';

const settings = resolveCognitoSettings({ userPoolId: 'eu-west-1_AbC123', clientId: 'client1' }, () => undefined);
const DAY_MS = 24 * 60 * 60 * 1000;

describe('CognitoRevocationService', () => {
  let now: number;
  const clock = (): number => now;
  const nowSeconds = (): number => Math.floor(now / 1000);
  const services: CognitoRevocationService[] = [];
  const make = (store?: CognitoStateStore): CognitoRevocationService => {
    const service = new CognitoRevocationService(settings, store, clock);
    services.push(service);
    return service;
  };
  const token = (over: Partial<RevocableClaims> = {}): RevocableClaims => ({
    sub: 'user-1',
    iat: nowSeconds(),
    jti: `jti-${Math.random()}`,
    origin_jti: 'session-1',
    ...over,
  });

  beforeEach(() => {
    now = Date.UTC(2026, 11, 1, 9, 0, 0);
  });

  afterEach(async () => {
    for (const s of services.splice(0)) await s.onModuleDestroy();
  });

  describe('revokeSession', () => {
    it('revokes every token of the session (same origin_jti), and no other session', async () => {
      const revocation = make();
      await expect(revocation.revokeSession(token())).resolves.toBe(true);
      expect(revocation.isRevoked(token())).toBe(true); // another token (jti) of the same session
      expect(revocation.isRevoked(token({ origin_jti: 'session-2' }))).toBe(false);
    });

    it('records the jti when the token has no origin_jti', async () => {
      const revocation = make();
      await revocation.revokeSession(token({ origin_jti: undefined, jti: 'lonely' }));
      expect(revocation.isRevoked(token({ origin_jti: undefined, jti: 'lonely' }))).toBe(true);
      expect(revocation.isRevoked(token({ origin_jti: undefined, jti: 'other' }))).toBe(false);
    });

    it('records nothing for a token with neither origin_jti nor jti', async () => {
      const revocation = make();
      await expect(revocation.revokeSession(token({ origin_jti: undefined, jti: undefined }))).resolves.toBe(false);
      expect(revocation.recordCount).toBe(0);
    });
  });

  describe('revokeUser', () => {
    it("revokes the user's tokens issued at or before the cut-off, not after, and no other user's", async () => {
      const revocation = make();
      const at = nowSeconds();
      await revocation.revokeUser('user-1', at);
      expect(revocation.isRevoked(token({ iat: at - 3600 }))).toBe(true);
      expect(revocation.isRevoked(token({ iat: at }))).toBe(true);
      expect(revocation.isRevoked(token({ iat: at + 1 }))).toBe(false);
      expect(revocation.isRevoked(token({ sub: 'user-2', iat: at - 3600 }))).toBe(false);
    });

    it('cuts off at now by default (the injected clock)', async () => {
      const revocation = make();
      await revocation.revokeUser('user-1');
      expect(revocation.isRevoked(token({ iat: nowSeconds() }))).toBe(true);
      now += 1000;
      expect(revocation.isRevoked(token({ iat: nowSeconds() }))).toBe(false); // signed in again since
    });

    it('keeps the later cut-off when an earlier one comes after it, here and in the store', async () => {
      const store = new InMemoryStateStore(clock);
      const revocation = make(store);
      const at = nowSeconds();
      await revocation.revokeUser('user-1', at);
      await revocation.revokeUser('user-1', at - 600);
      expect(revocation.isRevoked(token({ iat: at - 1 }))).toBe(true);
      const records = await store.list('revoked:user:');
      expect(records).toHaveLength(1);
      // A fresh instance loading the store sees the later cut-off.
      const fresh = make(store);
      await fresh.onModuleInit();
      expect(fresh.isRevoked(token({ iat: at - 1 }))).toBe(true);
      expect(fresh.isRevoked(token({ iat: at + 1 }))).toBe(false);
    });

    it('counts a token without a usable iat as revoked when its user has a cut-off', async () => {
      const revocation = make();
      await revocation.revokeUser('user-1');
      expect(revocation.isRevoked(token({ iat: Number.NaN }))).toBe(true);
    });
  });

  describe('records live 24 hours', () => {
    it('drops a revoked session after 24 hours', async () => {
      const revocation = make();
      await revocation.revokeSession(token());
      now += DAY_MS - 1;
      expect(revocation.isRevoked(token())).toBe(true);
      now += 1;
      expect(revocation.isRevoked(token())).toBe(false);
    });

    it('drops a user cut-off 24 hours after it', async () => {
      const revocation = make();
      const iat = nowSeconds();
      await revocation.revokeUser('user-1');
      now += DAY_MS - 1;
      expect(revocation.isRevoked(token({ iat }))).toBe(true);
      now += 1;
      expect(revocation.isRevoked(token({ iat }))).toBe(false);
    });

    it('writes records to the store with a 24-hour time to live', async () => {
      const store = new InMemoryStateStore(clock);
      const revocation = make(store);
      await revocation.revokeSession(token());
      const [[key]] = await store.list('revoked:session:');
      now += DAY_MS - 1;
      await expect(store.get(key)).resolves.toBeDefined();
      now += 1;
      await expect(store.get(key)).resolves.toBeUndefined();
    });
  });

  it(`is bounded to ${CognitoRevocationService.MAX_RECORDS} sessions: past it the oldest goes`, async () => {
    const revocation = make();
    const max = CognitoRevocationService.MAX_RECORDS;
    for (let i = 0; i <= max; i++) await revocation.revokeSession({ origin_jti: `s${i}` });
    expect(revocation.recordCount).toBe(max);
    expect(revocation.isRevoked(token({ origin_jti: 's0' }))).toBe(false);
    expect(revocation.isRevoked(token({ origin_jti: 's1' }))).toBe(true);
    expect(revocation.isRevoked(token({ origin_jti: `s${max}` }))).toBe(true);
  });

  describe('sharing through the store', () => {
    it('reaches another instance on the same store through publish/subscribe', async () => {
      const store = new InMemoryStateStore(clock);
      const a = make(store);
      const b = make(store);
      await new Promise((resolve) => setImmediate(resolve)); // both subscriptions are active
      await a.revokeSession(token());
      await a.revokeUser('user-9');
      expect(b.isRevoked(token())).toBe(true);
      expect(b.isRevoked(token({ sub: 'user-9', origin_jti: 'x', iat: nowSeconds() }))).toBe(true);
    });

    it('ignores malformed messages on the channel', async () => {
      const store = new InMemoryStateStore(clock);
      const revocation = make(store);
      await new Promise((resolve) => setImmediate(resolve));
      for (const m of [
        'not json',
        '[]',
        '{"kind":"session"}',
        '{"kind":"session","id":"","expiresAtMs":1e15}',
        '{"kind":"user","sub":"u","expiresAtMs":1e15}',
      ]) {
        await store.publish(REVOCATION_CHANNEL, m);
      }
      expect(revocation.recordCount).toBe(0);
    });

    it('keeps the revocation in this instance when the store fails, without throwing', async () => {
      const failing = new InMemoryStateStore(clock);
      failing.set = () => Promise.reject(new Error('store down'));
      const revocation = make(failing);
      await expect(revocation.revokeSession(token())).resolves.toBe(true);
      expect(revocation.isRevoked(token())).toBe(true);
    });

    it('stops listening on module destroy', async () => {
      const store = new InMemoryStateStore(clock);
      const a = make(store);
      const b = new CognitoRevocationService(settings, store, clock);
      await new Promise((resolve) => setImmediate(resolve));
      await b.onModuleDestroy();
      await a.revokeSession(token());
      expect(b.isRevoked(token())).toBe(false);
    });
  });

  it('answers isRevoked synchronously', async () => {
    const revocation = make();
    await revocation.revokeSession(token());
    expect(typeof revocation.isRevoked(token())).toBe('boolean');
  });

  describe('as a Nest provider', () => {
    it('resolves with the settings alone (in-memory store, Date.now)', async () => {
      const moduleRef = await Test.createTestingModule({
        providers: [{ provide: COGNITO_AUTH_SETTINGS, useValue: settings }, CognitoRevocationService],
      }).compile();
      const revocation = moduleRef.get(CognitoRevocationService);
      await revocation.revokeSession({ origin_jti: 'nest-session' });
      expect(revocation.isRevoked(token({ origin_jti: 'nest-session', iat: Math.floor(Date.now() / 1000) }))).toBe(true);
      await moduleRef.close();
    });

    it('uses the store and the clock provided under COGNITO_STATE_STORE and COGNITO_CLOCK', async () => {
      const store = new InMemoryStateStore(clock);
      const moduleRef = await Test.createTestingModule({
        providers: [
          { provide: COGNITO_AUTH_SETTINGS, useValue: settings },
          { provide: COGNITO_STATE_STORE, useValue: store },
          { provide: COGNITO_CLOCK, useValue: clock },
          CognitoRevocationService,
        ],
      }).compile();
      await moduleRef.get(CognitoRevocationService).revokeSession({ origin_jti: 'nest-session' });
      await expect(store.list('revoked:session:')).resolves.toHaveLength(1);
      now += DAY_MS;
      expect(moduleRef.get(CognitoRevocationService).isRevoked(token({ origin_jti: 'nest-session' }))).toBe(false);
      await moduleRef.close();
    });
  });
});
