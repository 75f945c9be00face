import { CognitoConfigError } from '../../../src/errors/cognito-auth.errors.js';
import { resolveCognitoSettings } from '../../../src/options/settings.resolver.js';

const envOf = (vars: Record<string, string>) => (name: string) => vars[name];
const base = { COGNITO_POOL_ID: 'eu-west-1_AbC123', APP_CLIENT_ID: 'client1' };

function configError(fn: () => unknown): CognitoConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CognitoConfigError);
    return err as CognitoConfigError;
  }
  throw new Error('expected a CognitoConfigError');
}

describe('resolveCognitoSettings', () => {
  it('reads the seed environment names and applies the defaults of DESIGN.md section 4', () => {
    const s = resolveCognitoSettings(undefined, envOf(base));
    expect(s.userPoolId).toBe('eu-west-1_AbC123');
    expect(s.region).toBe('eu-west-1');
    expect(s.clientIds).toEqual(['client1']);
    expect(s.issuers).toEqual([
      'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123',
      'https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123',
    ]);
    expect(s.jwksUri).toBe('https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json');
    expect(s.tokenUse).toBe('id+access');
    expect(s.autoRefresh).toBe(true);
    expect(s.cookies).toMatchObject({ enabled: false, httpOnly: true, secure: true, sameSite: 'lax', maxAgeSeconds: 2592000 });
    expect(s.csrf).toBe(false);
    expect(s.users).toMatchObject({ explicit: false, autoCreate: true, lookupField: 'sub', tokenField: 'sub', updateOnLogin: true });
    expect(s.users && s.users.fieldMapping).toEqual({ sub: 'sub', email: 'email' });
    expect(s.clockToleranceSeconds).toBe(5);
    expect(s.maxTokenLength).toBe(8192);
    expect([s.jwksTimeoutMs, s.jwksRefetchCooldownMs, s.cognitoTimeoutMs, s.retryAfterSeconds]).toEqual([3000, 10000, 5000, 5]);
  });

  it('lets given options win over the environment and merges the rest from it', () => {
    const s = resolveCognitoSettings(
      { clientId: ['a', 'b'], tokenUse: 'access', users: { autoCreate: false } },
      envOf({ ...base, COGNITO_TOKEN_USE: 'id', AUTO_CREATE_USER: 'true', COGNITO_USER_MODEL_FIELD_REF_FIELD: 'email' }),
    );
    expect(s.clientIds).toEqual(['a', 'b']);
    expect(s.tokenUse).toBe('access');
    expect(s.users).toMatchObject({ explicit: true, autoCreate: false, lookupField: 'email' });
  });

  it('reads lists, secrets, JSON mapping, booleans and cookie settings from the environment', () => {
    const s = resolveCognitoSettings(
      undefined,
      envOf({
        ...base,
        APP_CLIENT_ID: 'one, two',
        APP_SECRET_KEY: 's3cret',
        COGNITO_USER_FIELD_MAPPING: '{"email":"email","first_name":"custom:first_name"}',
        COGNITO_COOKIES: 'true',
        HTTP_ONLY_COOKIE: 'false',
        SECURE_COOKIE: '0',
        COGNITO_COOKIE_SAMESITE: 'Strict',
        COGNITO_COOKIE_MAX_AGE: '600',
        USE_CSRF: 'yes',
        COGNITO_AUTO_REFRESH: 'off',
      }),
    );
    expect(s.clientIds).toEqual(['one', 'two']);
    expect(s.clientSecrets.get('one')).toBe('s3cret');
    expect(s.users && s.users.fieldMapping).toEqual({ email: 'email', first_name: 'custom:first_name' });
    expect(s.cookies).toMatchObject({ enabled: true, httpOnly: false, secure: false, sameSite: 'strict', maxAgeSeconds: 600 });
    expect(s.csrf).toBe(true);
    expect(s.autoRefresh).toBe(false);
  });

  it('derives issuer and JWKS from the endpoint and accepts any pool prefix with one', () => {
    const s = resolveCognitoSettings(undefined, envOf({ COGNITO_POOL_ID: 'local_Xy12', APP_CLIENT_ID: 'c', COGNITO_ENDPOINT: 'http://localhost:9229/' }));
    expect(s.issuers).toEqual(['http://localhost:9229/local_Xy12']);
    expect(s.jwksUri).toBe('http://localhost:9229/local_Xy12/.well-known/jwks.json');
    expect(s.endpoint).toBe('http://localhost:9229');
  });

  it('turns user sync off with users: false or COGNITO_USER_SYNC=false', () => {
    expect(resolveCognitoSettings({ users: false }, envOf(base)).users).toBe(false);
    expect(resolveCognitoSettings(undefined, envOf({ ...base, COGNITO_USER_SYNC: 'false' })).users).toBe(false);
    expect(resolveCognitoSettings(undefined, envOf({ ...base, COGNITO_USER_SYNC: 'true' })).users).toMatchObject({ explicit: true });
  });

  it.each([
    [{ ...base, COGNITO_POOL_ID: 'AbC123' }, 'COGNITO_POOL_ID'],
    [{ ...base, COGNITO_POOL_ID: 'local_AbC123' }, 'COGNITO_POOL_ID'],
    [{ APP_CLIENT_ID: 'x' }, 'COGNITO_POOL_ID'],
    [{ ...base, APP_CLIENT_ID: ' , ' }, 'APP_CLIENT_ID'],
    [{ COGNITO_POOL_ID: base.COGNITO_POOL_ID }, 'APP_CLIENT_ID'],
    [{ ...base, COGNITO_USER_FIELD_MAPPING: '{not json' }, 'COGNITO_USER_FIELD_MAPPING'],
    [{ ...base, COGNITO_USER_FIELD_MAPPING: '["email"]' }, 'COGNITO_USER_FIELD_MAPPING'],
    [{ ...base, COGNITO_TOKEN_USE: 'both' }, 'COGNITO_TOKEN_USE'],
    [{ ...base, COGNITO_AUTO_REFRESH: 'maybe' }, 'COGNITO_AUTO_REFRESH'],
    [{ ...base, COGNITO_CLOCK_TOLERANCE: '-1' }, 'COGNITO_CLOCK_TOLERANCE'],
    [{ ...base, COGNITO_COOKIE_MAX_AGE: 'ten' }, 'COGNITO_COOKIE_MAX_AGE'],
    [{ ...base, COGNITO_COOKIE_SAMESITE: 'sometimes' }, 'COGNITO_COOKIE_SAMESITE'],
    [{ ...base, COGNITO_ENDPOINT: 'ftp://x' }, 'COGNITO_ENDPOINT'],
    [{ ...base, COGNITO_JWKS_URI: 'not a url' }, 'COGNITO_JWKS_URI'],
  ])('stops start-up on a bad environment value and names the variable (%#)', (env, variable) => {
    const err = configError(() => resolveCognitoSettings(undefined, envOf(env)));
    expect(err.setting).toBe(variable);
    expect(err.message).toContain(variable);
  });

  it.each([
    [{ userPoolId: 'nope', clientId: 'c' }, 'userPoolId'],
    [{ userPoolId: base.COGNITO_POOL_ID, clientId: '' }, 'clientId'],
    [{ userPoolId: base.COGNITO_POOL_ID, clientId: ['a', ''] }, 'clientId'],
    [{ userPoolId: base.COGNITO_POOL_ID, clientId: 'c', tokenUse: 'both' as never }, 'tokenUse'],
    [{ userPoolId: base.COGNITO_POOL_ID, clientId: 'c', clientSecret: { other: 'x' } }, 'clientSecret'],
    [{ userPoolId: base.COGNITO_POOL_ID, clientId: 'c', cookies: { sameSite: 'none' as const, secure: false } }, 'cookies.sameSite'],
    [{ userPoolId: base.COGNITO_POOL_ID, clientId: 'c', maxTokenLength: 1.5 }, 'maxTokenLength'],
  ])('stops start-up on a bad option and names the option (%#)', (options, option) => {
    const err = configError(() => resolveCognitoSettings(options, envOf({})));
    expect(err.setting).toBe(option);
  });

  it('never puts the client secret in an error message', () => {
    const err = configError(() => resolveCognitoSettings({ userPoolId: 'bad', clientSecret: 'TOPSECRETVALUE' }, envOf({})));
    expect(err.message).not.toContain('TOPSECRETVALUE');
  });
});
