/** Fingerprints per table entry: the table holds at least twice the cache's bound, within these sizes. */
const MIN_SLOTS = 1 << 10;
const MAX_SLOTS = 1 << 20;

/**
 * Remembers which keys were offered once, in a fixed table of 32-bit fingerprints: no allocation
 * per key and a bounded size. A full verified-token cache admits a token only on its second sight
 * (a doorkeeper, as in TinyLFU), so a stream of tokens sent once, each verified in full, neither
 * evicts the tokens in use nor leaves a cache entry behind for the garbage collector to move.
 *
 * It only decides what is cached, never what is accepted: a fingerprint collision admits a token
 * one sight early, an overwritten slot one sight late, and every token is fully verified before
 * it is offered.
 */
export class SecondSightFilter {
  private readonly table: Uint32Array;
  private readonly mask: number;

  /** @param expected the number of keys the cache holds: the table keeps about twice as many fingerprints */
  constructor(expected: number) {
    let slots = MIN_SLOTS;
    while (slots < 2 * expected && slots < MAX_SLOTS) slots *= 2;
    this.table = new Uint32Array(slots);
    this.mask = slots - 1;
  }

  /** True when `key` was offered before (its fingerprint is then forgotten); otherwise it is remembered and false. */
  seenBefore(key: string): boolean {
    // FNV-1a twice, with two seeds: the slot from one, the fingerprint (never 0, the empty slot) from the other.
    let slot = 0x811c9dc5;
    let print = 0x01000193;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      slot = Math.imul(slot ^ c, 0x01000193);
      print = Math.imul(print ^ c, 0x5bd1e995);
    }
    const at = (slot >>> 0) & this.mask;
    const fingerprint = print >>> 0 || 1;
    if (this.table[at] === fingerprint) {
      this.table[at] = 0;
      return true;
    }
    this.table[at] = fingerprint;
    return false;
  }
}
