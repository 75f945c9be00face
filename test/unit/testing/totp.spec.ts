import { base32Decode, base32Encode, matchTotp, totpCode } from '../../../src/testing/flows/totp.js';

/** RFC 6238 appendix B, SHA-1: the key is the ASCII string "12345678901234567890"; 6 digits are the last 6 of the table's 8. */
const SECRET = base32Encode(Buffer.from('12345678901234567890', 'ascii'));

describe('TOTP (testing)', () => {
  it.each([
    [59, '287082'],
    [1111111109, '081804'],
    [1111111111, '050471'],
    [1234567890, '005924'],
    [2000000000, '279037'],
  ])('RFC 6238 test vector at T = %i is %s', (seconds, code) => {
    expect(totpCode(SECRET, seconds * 1000)).toBe(code);
  });

  it('base32 round-trips and matches RFC 4648', () => {
    expect(SECRET).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(base32Decode(SECRET).toString('ascii')).toBe('12345678901234567890');
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
  });

  it('accepts one step of drift either way, not two', () => {
    const t = 1111111109_000;
    expect(matchTotp(SECRET, totpCode(SECRET, t - 30_000), t)).toBeDefined();
    expect(matchTotp(SECRET, totpCode(SECRET, t + 30_000), t)).toBeDefined();
    expect(matchTotp(SECRET, totpCode(SECRET, t - 60_000), t)).toBeUndefined();
  });
});
