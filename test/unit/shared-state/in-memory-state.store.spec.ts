import { InMemoryStateStore } from '../../../src/shared-state/in-memory-state.store.js';

describe('InMemoryStateStore', () => {
  let now: number;
  const clock = (): number => now;

  beforeEach(() => {
    now = 1_000_000;
  });

  it('keeps a value for its time to live, read by the injected clock', async () => {
    const store = new InMemoryStateStore(clock);
    await store.set('k', 'v', 1000);
    now += 999;
    await expect(store.get('k')).resolves.toBe('v');
    now += 1;
    await expect(store.get('k')).resolves.toBeUndefined();
    expect(store.size).toBe(0); // dropped when read expired
  });

  it('setIfAbsent stores only over an absent or expired value', async () => {
    const store = new InMemoryStateStore(clock);
    await expect(store.setIfAbsent('k', 'first', 1000)).resolves.toBe(true);
    await expect(store.setIfAbsent('k', 'second', 1000)).resolves.toBe(false);
    await expect(store.get('k')).resolves.toBe('first');
    now += 1000;
    await expect(store.setIfAbsent('k', 'third', 1000)).resolves.toBe(true);
    await expect(store.get('k')).resolves.toBe('third');
  });

  it('deletes a key', async () => {
    const store = new InMemoryStateStore(clock);
    await store.set('k', 'v', 1000);
    await store.delete('k');
    await expect(store.get('k')).resolves.toBeUndefined();
  });

  it('is bounded: past maxEntries the record stored longest ago goes', async () => {
    const store = new InMemoryStateStore(clock, 3);
    for (const k of ['a', 'b', 'c']) await store.set(k, k, 10_000);
    await store.set('a', 'a2', 10_000); // rewritten: now the newest
    await store.set('d', 'd', 10_000);
    expect(store.size).toBe(3);
    await expect(store.get('b')).resolves.toBeUndefined();
    await expect(store.get('a')).resolves.toBe('a2');
    await expect(store.get('d')).resolves.toBe('d');
  });

  it('refuses a time to live that is not a positive number', async () => {
    const store = new InMemoryStateStore(clock);
    await expect(store.set('k', 'v', 0)).rejects.toBeInstanceOf(RangeError);
    await expect(store.setIfAbsent('k', 'v', Number.NaN)).rejects.toBeInstanceOf(RangeError);
    expect(() => new InMemoryStateStore(clock, 0)).toThrow(RangeError);
  });

  it('delivers a message to every subscriber of its channel, and only of its channel, before publish resolves', async () => {
    const store = new InMemoryStateStore(clock);
    const got: string[] = [];
    await store.subscribe('one', (m) => got.push(`a:${m}`));
    await store.subscribe('one', (m) => got.push(`b:${m}`));
    await store.subscribe('two', (m) => got.push(`c:${m}`));
    await store.publish('one', 'hello');
    expect(got).toEqual(['a:hello', 'b:hello']);
  });

  it('stops delivering after unsubscribe', async () => {
    const store = new InMemoryStateStore(clock);
    const got: string[] = [];
    const end = await store.subscribe('ch', (m) => got.push(m));
    await store.publish('ch', '1');
    await end();
    await store.publish('ch', '2');
    expect(got).toEqual(['1']);
  });

  it('keeps delivering to the others when a listener throws', async () => {
    const store = new InMemoryStateStore(clock);
    const got: string[] = [];
    await store.subscribe('ch', () => {
      throw new Error('listener bug');
    });
    await store.subscribe('ch', (m) => got.push(m));
    await expect(store.publish('ch', 'm')).resolves.toBeUndefined();
    expect(got).toEqual(['m']);
  });

  it('declares itself per process (no state key needed)', () => {
    expect(new InMemoryStateStore().perProcess).toBe(true);
  });
});
