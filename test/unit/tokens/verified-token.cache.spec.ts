import { VerifiedTokenCache } from '../../../src/tokens/verified-token.cache.js';

const T0 = Date.UTC(2030, 0, 1);

describe('VerifiedTokenCache', () => {
  it('returns the very object stored, on every hit', () => {
    const cache = new VerifiedTokenCache<{ sub: string }>(10);
    const value = Object.freeze({ sub: 'a' });
    cache.set('k', value, T0 + 1000);
    expect(cache.get('k', T0)).toBe(value);
    expect(cache.get('k', T0 + 1)).toBe(value);
  });

  it('drops an entry at its expiry, by the clock it is given', () => {
    const cache = new VerifiedTokenCache<string>(10);
    cache.set('k', 'v', T0 + 1000);
    expect(cache.get('k', T0 + 999)).toBe('v');
    expect(cache.get('k', T0 + 1000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('holds at most maxEntries, evicting the least recently used', () => {
    const cache = new VerifiedTokenCache<number>(3);
    for (const [i, key] of ['a', 'b', 'c'].entries()) cache.set(key, i, T0 + 1000);
    expect(cache.get('a', T0)).toBe(0); // a is now the most recently used
    cache.set('d', 3, T0 + 1000);
    expect(cache.size).toBe(3);
    expect(cache.get('b', T0)).toBeUndefined();
    expect([cache.get('a', T0), cache.get('c', T0), cache.get('d', T0)]).toEqual([0, 2, 3]);
  });

  it('stores nothing with a bound of 0', () => {
    const cache = new VerifiedTokenCache<string>(0);
    cache.set('k', 'v', T0 + 1000);
    expect(cache.get('k', T0)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('setting a key again replaces its value and expiry without growing', () => {
    const cache = new VerifiedTokenCache<string>(10);
    cache.set('k', 'old', T0 + 1000);
    cache.set('k', 'new', T0 + 5000);
    expect(cache.size).toBe(1);
    expect(cache.get('k', T0 + 2000)).toBe('new');
  });

  it('delete drops one entry', () => {
    const cache = new VerifiedTokenCache<string>(10);
    cache.set('k', 'v', T0 + 1000);
    cache.set('other', 'w', T0 + 1000);
    cache.delete('k');
    expect(cache.get('k', T0)).toBeUndefined();
    expect(cache.get('other', T0)).toBe('w');
  });
});
