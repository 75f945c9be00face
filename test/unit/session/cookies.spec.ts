import { parseCookies, serializeCookie } from '../../../src/session/cookies.js';

describe('parseCookies', () => {
  const wanted = new Set(['AccessToken', 'IdToken', 'csrf_token']);

  it('keeps only the wanted cookies, the first occurrence of each', () => {
    const cookies = parseCookies('a=1; AccessToken=x.y.z; IdToken=i; AccessToken=second; other=2', wanted);
    expect([...cookies]).toEqual([
      ['AccessToken', 'x.y.z'],
      ['IdToken', 'i'],
    ]);
  });

  it('finds wanted cookies behind thousands of others', () => {
    const filler = Array.from({ length: 3000 }, (_, i) => `c${i}=v`).join('; ');
    expect(parseCookies(`${filler}; csrf_token=abc`, wanted).get('csrf_token')).toBe('abc');
  });

  it('unquotes and percent-decodes values, and keeps malformed encodings as sent', () => {
    const cookies = parseCookies('AccessToken="a%2Eb"; IdToken=%E0%A4%A; csrf_token=', wanted);
    expect(cookies.get('AccessToken')).toBe('a.b');
    expect(cookies.get('IdToken')).toBe('%E0%A4%A');
    expect(cookies.get('csrf_token')).toBe('');
  });

  it('ignores pairs without a name or an equals sign', () => {
    expect(parseCookies('=x; AccessToken; ;;IdToken=ok', wanted)).toEqual(new Map([['IdToken', 'ok']]));
    expect(parseCookies(undefined, wanted).size).toBe(0);
  });
});

describe('serializeCookie', () => {
  it('writes Path=/, Max-Age, Domain, HttpOnly, Secure and SameSite', () => {
    expect(
      serializeCookie('IdToken', 'a b', { httpOnly: true, secure: true, sameSite: 'lax', maxAgeSeconds: 60, domain: 'example.com' }),
    ).toBe('IdToken=a%20b; Path=/; Max-Age=60; Domain=example.com; HttpOnly; Secure; SameSite=Lax');
    expect(
      serializeCookie('csrf_token', 'v', { httpOnly: false, secure: false, sameSite: 'strict', maxAgeSeconds: 0, domain: undefined }),
    ).toBe('csrf_token=v; Path=/; Max-Age=0; SameSite=Strict');
  });
});
