import { resolveCognitoSettings } from '../../../src/options/settings.resolver.js';
import { bearerToken, extractTokens, hasWhitespace } from '../../../src/session/http-tokens.extractor.js';

const settings = resolveCognitoSettings({ userPoolId: 'eu-west-1_Extract1', clientId: 'client-x' }, () => undefined);
const accessOf = (authorization: string): string | undefined => extractTokens({ headers: { authorization } }, settings).access;

/** Every UTF-16 code unit, with what JavaScript's own `\s` says of it. */
const CODE_UNITS = Array.from({ length: 0x10000 }, (_, c) => String.fromCharCode(c));

describe('hasWhitespace', () => {
  it('agrees with /\\s/ for every code unit, at the start, in the middle and at the end', () => {
    const disagree = CODE_UNITS.filter((c) =>
      [c + 'abc', 'ab' + c + 'cd', 'abc' + c].some((text) => hasWhitespace(text) !== /\s/.test(text)),
    );
    expect(disagree.map((c) => c.charCodeAt(0).toString(16))).toEqual([]);
  });

  it('finds a Latin-1 space in a long one-byte token, and none in a token without one', () => {
    const token = 'eyJ' + 'a'.repeat(1200) + '.' + 'b'.repeat(600) + '.' + 'c'.repeat(342);
    expect(hasWhitespace(token)).toBe(false);
    expect(hasWhitespace(token.slice(0, 700) + '\u00a0' + token.slice(700))).toBe(true);
    expect(hasWhitespace(token.slice(0, 700) + '\u3000' + token.slice(700))).toBe(true);
  });
});

describe('Authorization: Bearer', () => {
  it('takes the scheme in any case, then spaces or tabs, then the token', () => {
    expect(accessOf('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(accessOf('bEaReR \t  abc.def.ghi')).toBe('abc.def.ghi');
    expect(accessOf('Bearer\tabc')).toBe('abc');
    expect(bearerToken('Bearer abc  ')).toBeUndefined(); // the header value arrives trimmed; the token is one run
  });

  it('is no token for another scheme, a missing blank, or nothing after the scheme', () => {
    expect(accessOf('Basic abc')).toBeUndefined();
    expect(accessOf('Bearerabc.def')).toBeUndefined();
    expect(accessOf('Bearer')).toBeUndefined();
    expect(accessOf('Bearer    ')).toBeUndefined();
  });

  it('is no token when whitespace of any kind splits the value; any other character stays in the token', () => {
    const seen = CODE_UNITS.map((c) => [c, bearerToken(`Bearer abc${c}def`)] as const);
    const wrong = seen.filter(([c, token]) => (/\s/.test(c) ? token !== undefined : token !== `abc${c}def`));
    expect(wrong.map(([c]) => c.charCodeAt(0).toString(16))).toEqual([]);
    expect(seen.filter(([, token]) => token === undefined).length).toBe(25); // JavaScript's \s in UTF-16
  });
});
