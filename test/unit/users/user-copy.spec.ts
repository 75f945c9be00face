/**
 * deepCopy hands each request a user of its own: nothing nested is shared with the original,
 * and every object keeps its class.
 */
import { deepCopy } from '../../../src/users/user-copy.js';

class Address {
  constructor(
    public city: string,
    public since: Date,
  ) {}
  label(): string {
    return this.city;
  }
}

class Account {
  id = 1;
  createdAt = new Date(1_700_000_000_000);
  prefs: { theme: string; sizes: number[] } = { theme: 'dark', sizes: [1, 2] };
  tags = ['dev'];
  avatar = Buffer.from('png-bytes');
  key = new Uint16Array([1, 2, 3]);
  address = new Address('Oslo', new Date(0));
  seen = new Map([['web', new Date(5)]]);
  roles = new Set(['reader']);
  self: Account | undefined;
}

describe('deepCopy', () => {
  it('keeps the class of the entity and of nested objects', () => {
    const copy = deepCopy(new Account());
    expect(copy).toBeInstanceOf(Account);
    expect(copy.address).toBeInstanceOf(Address);
    expect(copy.address.label()).toBe('Oslo');
    expect(Buffer.isBuffer(copy.avatar)).toBe(true);
    expect(copy.key).toBeInstanceOf(Uint16Array);
  });

  it('shares no Date, JSON value, array, Buffer, typed array, Map or Set with the original', () => {
    const original = new Account();
    const copy = deepCopy(original);
    copy.createdAt.setTime(0);
    copy.prefs.theme = 'light';
    copy.prefs.sizes.push(3);
    copy.tags.push('root');
    copy.avatar[0] = 0;
    copy.key[0] = 9;
    copy.address.since.setTime(1);
    copy.seen.get('web')?.setTime(1);
    copy.roles.add('admin');
    expect(original.createdAt.getTime()).toBe(1_700_000_000_000);
    expect(original.prefs).toEqual({ theme: 'dark', sizes: [1, 2] });
    expect(original.tags).toEqual(['dev']);
    expect(original.avatar.toString()).toBe('png-bytes');
    expect([...original.key]).toEqual([1, 2, 3]);
    expect(original.address.since.getTime()).toBe(0);
    expect(original.seen.get('web')?.getTime()).toBe(5);
    expect([...original.roles]).toEqual(['reader']);
  });

  it('keeps cycles as cycles of the copy', () => {
    const original = new Account();
    original.self = original;
    const copy = deepCopy(original);
    expect(copy.self).toBe(copy);
    expect(copy.self).not.toBe(original);
  });

  it('copies null-prototype objects and leaves primitives as they are', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: [1] });
    const copy = deepCopy(bare);
    expect(Object.getPrototypeOf(copy)).toBeNull();
    expect(copy.a).toEqual([1]);
    expect(copy.a).not.toBe(bare.a);
    expect(deepCopy(42n)).toBe(42n);
    expect(deepCopy(null)).toBeNull();
  });
});
