import * as library from '../../../src/index.js';

/**
 * The package's injection tokens are registered symbols (`Symbol.for`), so a CommonJS and an ES
 * module copy of the package loaded into one app resolve the same providers.
 */
describe('exported injection tokens', () => {
  // Constants that are not objects: injection tokens (objects such as COGNITO_SECURITY_SCHEMES are data).
  const tokens = Object.entries(library).filter(([name, value]) => /^COGNITO_[A-Z_]+$/.test(name) && typeof value !== 'object');

  it('include the options token of forRoot / forRootAsync and the settings token', () => {
    expect(tokens.map(([name]) => name)).toEqual(expect.arrayContaining(['COGNITO_AUTH_MODULE_OPTIONS', 'COGNITO_AUTH_SETTINGS']));
  });

  it.each(tokens)('%s is a registered symbol of the package', (_name, token) => {
    expect(typeof token).toBe('symbol');
    expect(Symbol.keyFor(token as symbol)).toMatch(/^nest-cognito-auth:/);
  });
});
