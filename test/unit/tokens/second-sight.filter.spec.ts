import { createHash } from 'node:crypto';
import { SecondSightFilter } from '../../../src/tokens/second-sight.filter.js';

const keyOf = (i: number): string => createHash('sha256').update(`token-${i}`).digest('base64');

describe('SecondSightFilter', () => {
  it('answers false on a first sight and true on the second, then forgets the key', () => {
    const filter = new SecondSightFilter(100);
    expect(filter.seenBefore(keyOf(1))).toBe(false);
    expect(filter.seenBefore(keyOf(1))).toBe(true);
    expect(filter.seenBefore(keyOf(1))).toBe(false);
  });

  it('keeps keys apart: 2,000 distinct keys seen once are all first sights, and each is recognised on its second', () => {
    const filter = new SecondSightFilter(10_000);
    const keys = Array.from({ length: 2000 }, (_, i) => keyOf(i));
    expect(keys.filter((k) => filter.seenBefore(k))).toEqual([]);
    // 32,768 slots: about n²/2m = 61 pairs of keys share a slot, and both of a pair then wait for a third sight.
    const recognised = keys.filter((k) => filter.seenBefore(k)).length;
    expect(recognised).toBeGreaterThan(1800);
  });

  it('is bounded: a flood of keys never recognises one it did not see (only the fingerprint table is kept)', () => {
    const filter = new SecondSightFilter(1000);
    for (let i = 0; i < 100_000; i++) filter.seenBefore(keyOf(i));
    const unseen = Array.from({ length: 5000 }, (_, i) => keyOf(1_000_000 + i));
    expect(unseen.filter((k) => filter.seenBefore(k))).toEqual([]);
  });

  it('works for keys of any shape, including the empty string', () => {
    const filter = new SecondSightFilter(0);
    expect(filter.seenBefore('')).toBe(false);
    expect(filter.seenBefore('')).toBe(true);
    expect(filter.seenBefore('é€')).toBe(false);
    expect(filter.seenBefore('é€')).toBe(true);
  });
});
