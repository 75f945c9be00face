/**
 * RedisStateStore on the shared Redis (a unique prefix per run, deleted afterwards) and, for the
 * fault cases, on a private redis-server this spec stops and starts.
 */
import { RedisStateStore } from '../../../src/shared-state/redis-state.store.js';
import { dropPrefix, entriesUnder, SHARED_REDIS_URL, startPrivateRedis, testClient, uniquePrefix, until } from '../../support/redis.js';

describe('RedisStateStore', () => {
  const prefix = uniquePrefix('store');
  const stores: RedisStateStore[] = [];
  const open = (url = SHARED_REDIS_URL, extra: { commandTimeoutMs?: number } = {}): RedisStateStore => {
    const store = new RedisStateStore({ url, prefix, ...extra });
    stores.push(store);
    return store;
  };

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await dropPrefix(prefix);
  });

  it('get / set with a time to live / delete, every key under the prefix', async () => {
    const store = open();
    await store.set('a', 'one', 60_000);
    await expect(store.get('a')).resolves.toBe('one');
    const client = testClient();
    try {
      expect(await client.pttl(`${prefix}a`)).toBeGreaterThan(50_000);
      expect(await entriesUnder(client, prefix)).toEqual([[`${prefix}a`, 'one']]);
    } finally {
      await client.quit();
    }
    await store.delete('a');
    await expect(store.get('a')).resolves.toBeUndefined();
  });

  it('setIfAbsent is SET NX PX: only the first of two stores gets the lock', async () => {
    const [a, b] = [open(), open()];
    const results = await Promise.all([a.setIfAbsent('lock', 'a', 60_000), b.setIfAbsent('lock', 'b', 60_000)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    await expect(a.setIfAbsent('lock', 'c', 60_000)).resolves.toBe(false);
  });

  it('publish reaches subscribers of every store on that Redis (a second connection), and unsubscribe stops it', async () => {
    const [a, b] = [open(), open()];
    const heard: string[] = [];
    const stop = await b.subscribe('chan', (m) => heard.push(`b:${m}`));
    await a.subscribe('chan', (m) => heard.push(`a:${m}`));
    await a.publish('chan', 'hello');
    await until(() => heard.length === 2, 'both subscribers');
    expect(heard.sort()).toEqual(['a:hello', 'b:hello']);
    await stop();
    await a.publish('chan', 'again');
    await until(() => heard.includes('a:again'), 'the remaining subscriber');
    expect(heard).not.toContain('b:again');
  });

  it('list returns the live records under a key prefix (and only those)', async () => {
    const store = open();
    await store.set('revoked:session:1', 'x', 60_000);
    await store.set('revoked:user:2', 'y', 60_000);
    await store.set('other:3', 'z', 60_000);
    const listed = await store.list('revoked:');
    expect([...listed].sort()).toEqual([
      ['revoked:session:1', 'x'],
      ['revoked:user:2', 'y'],
    ]);
  });

  it('a prefix with glob characters matches itself only', async () => {
    const store = new RedisStateStore({ url: SHARED_REDIS_URL, prefix: `${prefix}[g*]` });
    stores.push(store);
    await store.set('k', 'v', 60_000);
    await open().set('k2', 'v2', 60_000);
    await expect(store.list('')).resolves.toEqual([['k', 'v']]);
    await store.delete('k');
  });

  describe('Redis down and back (a private redis-server)', () => {
    it('fails fast while down (no queueing), reports it, reconnects and resubscribes by itself', async () => {
      const redis = await startPrivateRedis();
      try {
        const store = open(redis.url);
        const changes: boolean[] = [];
        store.onConnectionChange((up) => changes.push(up));
        const heard: string[] = [];
        await store.subscribe('c', (m) => heard.push(m));
        await until(() => store.healthy && changes.includes(true), 'connected');

        await redis.stop();
        await until(() => !store.healthy && changes.at(-1) === false, 'the outage to be noticed');
        await expect(store.get('x')).rejects.toThrow();
        await expect(store.publish('c', 'lost')).rejects.toThrow();

        await redis.start();
        await until(() => store.healthy && changes.at(-1) === true, 'the reconnection', 2000);
        await store.publish('c', 'after');
        await until(() => heard.includes('after'), 'a message on the resubscribed channel');
        expect(heard).not.toContain('lost');
      } finally {
        await redis.stop();
      }
    });

    it('a store created while Redis is down starts anyway, and subscribes once it is up', async () => {
      const redis = await startPrivateRedis();
      await redis.stop();
      try {
        const store = open(redis.url, { commandTimeoutMs: 200 });
        const heard: string[] = [];
        await store.subscribe('c', (m) => heard.push(m));
        await expect(store.get('x')).rejects.toThrow();
        await redis.start();
        await until(() => store.healthy, 'the first connection', 2000);
        await until(async () => {
          await store.publish('c', 'hi');
          return heard.includes('hi');
        }, 'the late subscription');
      } finally {
        await redis.stop();
      }
    });
  });
});
