import { jest } from '@jest/globals';
import { VerifiedTokenCache } from '../../../src/tokens/verified-token.cache.js';

const T0 = Date.UTC(2030, 0, 1);
const LATER = T0 + 1_000_000;

/** The keys still held, among `keys` (each probe is a read: call it only once the order no longer matters). */
const held = (cache: VerifiedTokenCache<unknown>, keys: readonly string[]): string[] => keys.filter((k) => cache.get(k, T0) !== undefined);

/**
 * Length of the cache's private eviction queue. Its bound is a memory property no behaviour shows
 * (stale slots are skipped, so an unbounded queue evicts in the same order), hence the one peek.
 */
const queueLength = (cache: VerifiedTokenCache<unknown>): number => (cache as unknown as { queue: unknown[] }).queue.length;

/** A cache of `max` entries holding `keys`, set in that order. */
function filled(max: number, keys: readonly string[]): VerifiedTokenCache<string> {
  const cache = new VerifiedTokenCache<string>(max);
  for (const key of keys) cache.set(key, key, LATER);
  return cache;
}

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

  describe('second-chance eviction', () => {
    it('when full, evicts first the oldest entry not read since the queue last passed it', () => {
      const cache = filled(3, ['a', 'b', 'c']);
      cache.get('a', T0);
      cache.get('b', T0);
      cache.set('d', 'd', LATER); // a and b were read: they go to the back, c (never read) goes
      expect(cache.size).toBe(3);
      expect(held(cache, ['a', 'b', 'c', 'd'])).toEqual(['a', 'b', 'd']);
    });

    it('a read entry gets one second chance, then goes if it is not read again', () => {
      const cache = filled(2, ['a', 'b']);
      cache.get('a', T0);
      cache.set('c', 'c', LATER); // a passed over once (to the back), b evicted
      cache.set('d', 'd', LATER); // a not read since: evicted now, before c
      expect(held(cache, ['a', 'b', 'c', 'd'])).toEqual(['c', 'd']);
    });

    it('an entry read again after its second chance gets another one', () => {
      const cache = filled(2, ['a', 'b']);
      cache.get('a', T0);
      cache.set('c', 'c', LATER); // b evicted; queue: a, c
      cache.get('a', T0);
      cache.set('d', 'd', LATER); // a read again: passed over again, c evicted
      expect(held(cache, ['a', 'b', 'c', 'd'])).toEqual(['a', 'd']);
    });

    it('a hit changes no Map: no set, no delete (so no dead entries pile up in the Map)', () => {
      const cache = filled(4, ['a', 'b', 'c']);
      const mapSet = jest.spyOn(Map.prototype, 'set');
      const mapDelete = jest.spyOn(Map.prototype, 'delete');
      const seen: (string | undefined)[] = [];
      let calls: number;
      try {
        for (let i = 0; i < 100; i++) for (const key of ['a', 'b', 'c']) seen.push(cache.get(key, T0));
      } finally {
        calls = mapSet.mock.calls.length + mapDelete.mock.calls.length;
        mapSet.mockRestore();
        mapDelete.mockRestore();
      }
      expect(calls).toBe(0);
      expect(seen).toEqual(Array.from({ length: 100 }, () => ['a', 'b', 'c']).flat());
    });

    it('a key set again keeps its place in the queue, and counts as a read', () => {
      // Its place: a (the oldest) used up its second chance in the same pass as b and c, so it
      // is the first to go; moved to the back instead, b would go.
      const first = filled(3, ['a', 'b', 'c']);
      first.get('b', T0);
      first.get('c', T0);
      first.set('a', 'a2', LATER);
      first.set('d', 'd', LATER);
      expect(held(first, ['a', 'b', 'c', 'd'])).toEqual(['b', 'c', 'd']);

      // A read, passed over where it stands: b (read) and a go to the back in that order, c goes;
      // then b is the oldest. Moved to the back unread instead, a would go before b.
      const second = filled(3, ['b', 'a', 'c']);
      second.get('b', T0);
      second.set('a', 'a2', LATER);
      second.set('d', 'd', LATER);
      second.set('e', 'e', LATER);
      expect(held(second, ['a', 'b', 'c', 'd', 'e'])).toEqual(['a', 'd', 'e']);
      expect(second.get('a', T0)).toBe('a2');
    });

    it('an expired entry dropped on read frees its place; its old slot never evicts the key set again', () => {
      const cache = new VerifiedTokenCache<string>(3);
      cache.set('a', 'a', T0 + 10);
      cache.set('b', 'b', LATER);
      cache.set('c', 'c', LATER);
      expect(cache.get('a', T0 + 10)).toBeUndefined(); // expired: dropped
      expect(cache.size).toBe(2);
      cache.set('a', 'a2', LATER); // a new entry at the back; the old slot is stale
      expect(cache.size).toBe(3);
      cache.set('d', 'd', LATER); // the stale slot is skipped: b goes, not the new a
      expect(held(cache, ['a', 'b', 'c', 'd'])).toEqual(['a', 'c', 'd']);
    });

    it('an expired entry never read is evicted in its turn, and is not returned meanwhile', () => {
      const cache = new VerifiedTokenCache<string>(2);
      cache.set('a', 'a', T0 + 10);
      cache.set('b', 'b', LATER);
      cache.get('b', T0 + 20);
      cache.set('c', 'c', LATER); // a (expired, unread) goes first
      expect(cache.size).toBe(2);
      expect(held(cache, ['a', 'b', 'c'])).toEqual(['b', 'c']);
    });

    const HELD = ['read1', 'unread', 'read2'];
    const NEW = ['n1', 'n2', 'n3', 'n4', 'n5'];

    /**
     * A cache of 4 holding read1, unread, read2 (in that order, not the keys' sorted order; the
     * first and last read) after 50,000 set/delete cycles of other keys, then on to the cycle of
     * the `compactions`-th compaction of the queue after that: what follows sees the compaction's
     * work and nothing pushed over it. Checking after two consecutive compactions catches any
     * reordering a compaction makes, even one that two compactions would undo.
     */
    function churned(compactions: 1 | 2): { cache: VerifiedTokenCache<string>; largest: number; longest: number } {
      const cache = filled(4, HELD);
      cache.get('read1', T0); // reads that must survive the compactions
      cache.get('read2', T0);
      let longest = 0;
      let largest = 0;
      let previous = queueLength(cache);
      let seen = 0;
      for (let i = 0; seen < compactions; i++) {
        if (i > 60_000) throw new Error('the queue was not compacted');
        cache.set(`x${i}`, 'x', LATER);
        largest = Math.max(largest, cache.size);
        cache.delete(`x${i}`);
        const length = queueLength(cache);
        if (length < previous && i >= 50_000) seen++;
        previous = length;
        longest = Math.max(longest, length);
      }
      return { cache, largest, longest };
    }

    it('set and delete of 50,000 keys keep the size within the bound and the queue bounded', () => {
      const { cache, largest, longest } = churned(1);
      expect(largest).toBe(4);
      expect(cache.size).toBe(3);
      expect(longest).toBeLessThan(1_000); // a small multiple of the bound, not of the operations
      expect(held(cache, HELD)).toEqual(HELD);
    });

    describe.each([1, 2] as const)('after compaction %i past 50,000 cycles', (compactions) => {
      it.each([
        [1, ['read1', 'unread', 'read2', 'n1']],
        [2, ['read1', 'read2', 'n1', 'n2']], // read1 passed over, unread goes
        [3, ['read1', 'read2', 'n2', 'n3']], // read2 passed over, n1 goes
        [4, ['read2', 'n2', 'n3', 'n4']], // read1, not read again since its second chance, goes
        [5, ['read2', 'n3', 'n4', 'n5']], // then n2, in insertion order
      ])('evictions keep the queue order and the reads (%i new keys)', (count, expected) => {
        const { cache } = churned(compactions);
        for (const key of NEW.slice(0, count)) cache.set(key, key, LATER);
        expect(held(cache, [...HELD, ...NEW])).toEqual(expected);
      });
    });

    it('evicting 50,000 times past hot keys keeps the queue bounded and the hot keys held', () => {
      const cache = filled(4, ['a', 'b', 'c']);
      let longest = 0;
      let largest = 0;
      for (let i = 0; i < 50_000; i++) {
        for (const key of ['a', 'b', 'c']) cache.get(key, T0);
        cache.set(`x${i}`, 'x', LATER); // evicts the previous x: the hot keys are passed over
        largest = Math.max(largest, cache.size);
        longest = Math.max(longest, queueLength(cache));
      }
      expect(largest).toBe(4);
      expect(longest).toBeLessThan(2_000);
      expect(held(cache, ['a', 'b', 'c', 'x49998', 'x49999'])).toEqual(['a', 'b', 'c', 'x49999']);
    });
  });
});
