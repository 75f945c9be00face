import { cipherFor, StateCipher } from '../../../src/shared-state/state-cipher.js';
import { InMemoryStateStore } from '../../../src/shared-state/in-memory-state.store.js';

const KEY = 'unit-state-key-0123456789abcdefghijklmnop';

describe('StateCipher', () => {
  it('opens what it sealed, for the same context', () => {
    const c = new StateCipher(KEY);
    expect(c.open(c.seal('{"a":1}', 'refresh:result:x'), 'refresh:result:x')).toBe('{"a":1}');
  });

  it('seals with AES-256-GCM and a random IV: the same plaintext twice gives two values, neither containing it', () => {
    const c = new StateCipher(KEY);
    const a = c.seal('eyJhbGciOiJSUzI1NiJ9.secret-token', 'k');
    const b = c.seal('eyJhbGciOiJSUzI1NiJ9.secret-token', 'k');
    expect(a).not.toBe(b);
    for (const v of [a, b]) expect(v).not.toContain('secret-token');
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
  });

  it('refuses a value moved to another key (the context is authenticated)', () => {
    const c = new StateCipher(KEY);
    expect(c.open(c.seal('x', 'key-1'), 'key-2')).toBeUndefined();
  });

  it('refuses a value altered by one bit (the tag is checked)', () => {
    const c = new StateCipher(KEY);
    const sealed = c.seal('hello world', 'k');
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    raw[raw.length - 20] ^= 1;
    expect(c.open(`v1.${raw.toString('base64url')}`, 'k')).toBeUndefined();
  });

  it('refuses a value sealed with another state key, and anything that is not a sealed value', () => {
    const other = new StateCipher('another-state-key-0123456789abcdefghijkl');
    expect(new StateCipher(KEY).open(other.seal('x', 'k'), 'k')).toBeUndefined();
    for (const junk of ['', 'v1.', 'v1.AAAA', 'plain text', 'v2.abc']) expect(new StateCipher(KEY).open(junk, 'k')).toBeUndefined();
  });

  it('hashes deterministically per state key (instances agree), differently across keys, never showing the input', () => {
    const h1 = new StateCipher(KEY).hash('refresh', 'client', 'the-refresh-token');
    expect(new StateCipher(KEY).hash('refresh', 'client', 'the-refresh-token')).toBe(h1);
    expect(new StateCipher('another-state-key-0123456789abcdefghijkl').hash('refresh', 'client', 'the-refresh-token')).not.toBe(h1);
    expect(h1).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Parts are length-prefixed: ('ab','c') and ('a','bc') differ.
    expect(new StateCipher(KEY).hash('ab', 'c')).not.toBe(new StateCipher(KEY).hash('a', 'bc'));
  });

  it('cipherFor: one random cipher per per-process store, shared by its users; the state key for a shared store', () => {
    const memory = new InMemoryStateStore();
    expect(cipherFor(memory, KEY)).toBe(cipherFor(memory, undefined));
    expect(cipherFor(new InMemoryStateStore(), undefined)).not.toBe(cipherFor(memory, undefined));
    const shared = {};
    expect(cipherFor(shared, KEY).hash('x')).toBe(new StateCipher(KEY).hash('x'));
  });
});
