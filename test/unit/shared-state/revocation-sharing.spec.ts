import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { AuthUnavailableError } from '../../../src/errors/cognito-auth.errors.js';
import { resolveCognitoSettings } from '../../../src/options/settings.resolver.js';
import { CognitoRevocationService, type RevocableClaims } from '../../../src/shared-state/cognito-revocation.service.js';
import { CaptureLogger } from '../../support/capture-logger.js';
import { SharedMemoryStore } from './shared-memory.store.js';

const STATE_KEY = 'unit-state-key-0123456789abcdefghijklmnop';

describe('CognitoRevocationService on a shared store', () => {
  let now: number;
  const clock = (): number => now;
  const services: CognitoRevocationService[] = [];
  const settingsFor = (store: SharedMemoryStore, extra: { failClosed?: boolean; stateKey?: string } = {}) =>
    resolveCognitoSettings(
      {
        userPoolId: 'eu-west-1_AbC123',
        clientId: 'client1',
        sharedState: { store, stateKey: extra.stateKey ?? STATE_KEY, revocationFailClosed: extra.failClosed ?? false },
      },
      () => undefined,
    );
  const make = async (
    store: SharedMemoryStore,
    extra: { failClosed?: boolean; stateKey?: string } = {},
  ): Promise<CognitoRevocationService> => {
    const service = new CognitoRevocationService(settingsFor(store, extra), store, clock);
    services.push(service);
    await service.onModuleInit();
    return service;
  };
  const token = (over: Partial<RevocableClaims> = {}): RevocableClaims => ({
    sub: 'user-1',
    iat: Math.floor(now / 1000),
    jti: 'jti-1',
    origin_jti: 'session-secret-origin-jti',
    ...over,
  });

  beforeEach(() => {
    now = Date.UTC(2026, 11, 1, 9, 0, 0);
  });
  afterEach(async () => {
    for (const s of services.splice(0)) await s.onModuleDestroy();
  });

  it('keeps no session id or sub in clear in the store: keys are hashes, values sealed', async () => {
    const store = new SharedMemoryStore(clock);
    const revocation = await make(store);
    await revocation.revokeSession(token());
    await revocation.revokeUser('user-1-secret-sub');
    const records = await store.inner.list('');
    expect(records).toHaveLength(2);
    for (const [key, value] of records) {
      expect(key).toMatch(/^revoked:(session|user):[A-Za-z0-9_-]{43}$/);
      for (const secret of ['session-secret-origin-jti', 'user-1-secret-sub']) {
        expect(key).not.toContain(secret);
        expect(value).not.toContain(secret);
      }
      expect(value).toMatch(/^v1\./);
    }
  });

  it('an instance that starts later loads the records already in the store', async () => {
    const store = new SharedMemoryStore(clock);
    await (await make(store)).revokeSession(token());
    const later = await make(store);
    expect(later.isRevoked(token())).toBe(true);
  });

  it('ignores records sealed with another state key (another app on the same store)', async () => {
    const store = new SharedMemoryStore(clock);
    await (await make(store, { stateKey: 'another-apps-state-key-0123456789abcdef' })).revokeSession(token());
    const ours = await make(store);
    expect(ours.isRevoked(token())).toBe(false);
    expect(ours.recordCount).toBe(0);
  });

  it('reloads after the store comes back, so a revocation missed during an outage is seen', async () => {
    const storeA = new SharedMemoryStore(clock);
    const storeB = new SharedMemoryStore(clock, storeA.inner);
    const a = await make(storeA);
    const b = await make(storeB);
    storeB.setDown(true); // b's connection is lost: the announcement does not reach it
    await a.revokeSession(token());
    expect(b.isRevoked(token())).toBe(false);
    storeB.setDown(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(b.isRevoked(token())).toBe(true);
  });

  it('reaches another instance through the channel while both are connected', async () => {
    const storeA = new SharedMemoryStore(clock);
    const a = await make(storeA);
    const b = await make(new SharedMemoryStore(clock, storeA.inner));
    await a.revokeUser('user-1');
    expect(b.isRevoked(token())).toBe(true);
  });

  it('a revocation made while the store was down is written and announced once it is back', async () => {
    const storeA = new SharedMemoryStore(clock);
    const a = await make(storeA);
    const b = await make(new SharedMemoryStore(clock, storeA.inner));
    storeA.setDown(true);
    await a.revokeSession(token());
    await a.revokeUser('user-2');
    expect(a.isRevoked(token())).toBe(true);
    expect(b.isRevoked(token())).toBe(false);
    storeA.setDown(false);
    for (let i = 0; i < 10 && !b.isRevoked(token({ sub: 'user-2', origin_jti: 'other' })); i++)
      await new Promise((resolve) => setImmediate(resolve));
    expect(b.isRevoked(token())).toBe(true);
    expect(b.isRevoked(token({ sub: 'user-2', origin_jti: 'other' }))).toBe(true);
    const late = await make(new SharedMemoryStore(clock, storeA.inner));
    expect(late.isRevoked(token())).toBe(true);
  });

  describe('store down', () => {
    it('fails open by default: tokens not known to be revoked pass, revocations still hold here', async () => {
      const store = new SharedMemoryStore(clock);
      const revocation = await make(store);
      store.setDown(true);
      expect(revocation.isRevoked(token())).toBe(false);
      await revocation.revokeSession(token());
      expect(revocation.isRevoked(token())).toBe(true);
    });

    it('fails closed with revocationFailClosed: 503 while the store is down, answers again once it is back', async () => {
      const store = new SharedMemoryStore(clock);
      const revocation = await make(store, { failClosed: true });
      expect(revocation.isRevoked(token())).toBe(false);
      store.setDown(true);
      expect(() => revocation.isRevoked(token())).toThrow(AuthUnavailableError);
      store.setDown(false);
      await new Promise((resolve) => setImmediate(resolve));
      expect(revocation.isRevoked(token())).toBe(false);
    });

    it('fails closed at start-up until the records are loaded', async () => {
      const store = new SharedMemoryStore(clock);
      store.setDown(true);
      const revocation = await make(store, { failClosed: true });
      expect(() => revocation.isRevoked(token())).toThrow(AuthUnavailableError);
    });

    it('logs one warning per outage, not one per call, and one line when it is back', async () => {
      const logger = new CaptureLogger();
      Logger.overrideLogger(logger);
      try {
        const store = new SharedMemoryStore(clock);
        const revocation = await make(store);
        store.setDown(true);
        for (let i = 0; i < 20; i++) await revocation.revokeSession(token({ origin_jti: `s${i}` }));
        expect(logger.lines.filter((l) => l.startsWith('warn') && l.includes('State store unreachable'))).toHaveLength(1);
        expect(logger.lines.join('\n')).toContain('ECONNREFUSED');
        store.setDown(false);
        await revocation.revokeSession(token({ origin_jti: 'after' }));
        expect(logger.lines.filter((l) => l.includes('reachable again'))).toHaveLength(1);
      } finally {
        Logger.overrideLogger(false);
      }
    });
  });
});
