import { resolveCognitoSettings } from '../../../src/options/settings.resolver.js';
import { InMemoryStateStore } from '../../../src/shared-state/in-memory-state.store.js';
import type { CognitoStateStore } from '../../../src/shared-state/state-store.interface.js';
import { BASE_ENV, configError, envOf } from '../../support/settings.js';

const base = BASE_ENV;

describe('resolveCognitoSettings', () => {
  it('a missing client id is named as the pool id was given: the option beside an option, else the variable', () => {
    const fromOptions = configError(() => resolveCognitoSettings({ userPoolId: 'eu-west-1_AbC123' }, envOf({})));
    expect(fromOptions.setting).toBe('clientId');
    expect(fromOptions.message).toContain('APP_CLIENT_ID');
    const fromEnv = configError(() => resolveCognitoSettings(undefined, envOf({ COGNITO_POOL_ID: 'eu-west-1_AbC123' })));
    expect(fromEnv.setting).toBe('APP_CLIENT_ID');
    expect(fromEnv.message).toContain('clientId');
  });

  it('reads the seed environment names and applies the documented defaults', () => {
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
    expect(s.cookies.hostPrefix).toBe(false);
    expect(s.cookies.names).toEqual({ access: 'AccessToken', id: 'IdToken', refresh: 'RefreshToken' });
    expect(s.passThroughContexts).toEqual([]);
    expect(s.tokenExtractor).toBeUndefined();
    expect(s.validate).toBeUndefined();
    expect(s.sharedState).toEqual({
      redis: undefined,
      store: undefined,
      stateKey: undefined,
      revocationFailClosed: false,
      onlineCheckSeconds: 60,
    });
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
    const s = resolveCognitoSettings(
      undefined,
      envOf({ COGNITO_POOL_ID: 'local_Xy12', APP_CLIENT_ID: 'c', COGNITO_ENDPOINT: 'http://localhost:9229/' }),
    );
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

  describe('region', () => {
    it("never takes the region from AWS_REGION (the compute's region on Lambda and ECS)", () => {
      const s = resolveCognitoSettings(undefined, envOf({ ...base, AWS_REGION: 'us-east-1' }));
      expect(s.region).toBe('eu-west-1');
      expect(s.issuers[0]).toBe('https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123');
    });

    it('accepts a COGNITO_REGION that agrees with the pool id', () => {
      expect(resolveCognitoSettings(undefined, envOf({ ...base, COGNITO_REGION: 'eu-west-1' })).region).toBe('eu-west-1');
    });

    it('stops start-up when COGNITO_REGION contradicts the pool id, naming COGNITO_REGION', () => {
      const err = configError(() => resolveCognitoSettings(undefined, envOf({ ...base, COGNITO_REGION: 'us-east-1' })));
      expect(err.setting).toBe('COGNITO_REGION');
      expect(err.message).toContain('COGNITO_REGION');
      expect(err.message).toContain('eu-west-1');
    });

    it('stops start-up when the region option contradicts the pool id, naming the option', () => {
      const err = configError(() => resolveCognitoSettings({ region: 'us-east-1' }, envOf(base)));
      expect(err.setting).toBe('region');
    });

    it.each([
      'us-gov-west-1',
      'cn-north-1',
      'cn-northwest-1',
      'eusc-de-east-1',
      'ap-southeast-5',
      'us-isob-east-1',
      'il-central-1',
      'mx-central-1',
    ])("accepts a pool id of region %s and takes the issuer's region from it", (region) => {
      const s = resolveCognitoSettings(undefined, envOf({ ...base, COGNITO_POOL_ID: `${region}_AbC123` }));
      expect(s.region).toBe(region);
      expect(s.issuers[0]).toBe(`https://cognito-idp.${region}.amazonaws.com/${region}_AbC123`);
    });

    it('takes any region with an endpoint and a pool id that names none (cognito-local)', () => {
      const env = {
        COGNITO_POOL_ID: 'local_Xy12',
        APP_CLIENT_ID: 'c',
        COGNITO_ENDPOINT: 'http://localhost:9229',
        COGNITO_REGION: 'ap-south-2',
      };
      expect(resolveCognitoSettings(undefined, envOf(env)).region).toBe('ap-south-2');
      expect(resolveCognitoSettings(undefined, envOf({ ...env, COGNITO_REGION: '' })).region).toBe('us-east-1');
    });
  });

  describe('cookies.hostPrefix', () => {
    it('names the cookies __Host-AccessToken, __Host-IdToken, __Host-RefreshToken (COGNITO_COOKIE_HOST_PREFIX)', () => {
      const s = resolveCognitoSettings(undefined, envOf({ ...base, COGNITO_COOKIE_HOST_PREFIX: 'true' }));
      expect(s.cookies.hostPrefix).toBe(true);
      expect(s.cookies.names).toEqual({ access: '__Host-AccessToken', id: '__Host-IdToken', refresh: '__Host-RefreshToken' });
    });

    it('prefixes configured names once', () => {
      const s = resolveCognitoSettings({ cookies: { hostPrefix: true, names: { access: 'At', id: '__Host-It' } } }, envOf(base));
      expect(s.cookies.names).toEqual({ access: '__Host-At', id: '__Host-It', refresh: '__Host-RefreshToken' });
    });

    it('stops start-up with a cookie domain, naming where the prefix came from', () => {
      const env = configError(() =>
        resolveCognitoSettings(undefined, envOf({ ...base, COGNITO_COOKIE_HOST_PREFIX: 'on', COGNITO_COOKIE_DOMAIN: '.example.com' })),
      );
      expect(env.setting).toBe('COGNITO_COOKIE_HOST_PREFIX');
      expect(env.message).toContain('COGNITO_COOKIE_DOMAIN');
      const option = configError(() => resolveCognitoSettings({ cookies: { hostPrefix: true, domain: 'example.com' } }, envOf(base)));
      expect(option.setting).toBe('cookies.hostPrefix');
    });

    it('stops start-up without Secure cookies', () => {
      const err = configError(() =>
        resolveCognitoSettings(undefined, envOf({ ...base, COGNITO_COOKIE_HOST_PREFIX: 'true', SECURE_COOKIE: 'false' })),
      );
      expect(err.setting).toBe('COGNITO_COOKIE_HOST_PREFIX');
      expect(err.message).toContain('Secure');
    });
  });

  describe('request rules', () => {
    it('accepts tokenUse any, from the option and from COGNITO_TOKEN_USE', () => {
      expect(resolveCognitoSettings({ tokenUse: 'any' }, envOf(base)).tokenUse).toBe('any');
      expect(resolveCognitoSettings(undefined, envOf({ ...base, COGNITO_TOKEN_USE: 'any' })).tokenUse).toBe('any');
    });

    it('keeps passThroughContexts, tokenExtractor and validate', () => {
      const tokenExtractor = () => undefined;
      const validate = () => true;
      const s = resolveCognitoSettings({ passThroughContexts: ['rpc', ' ws '], tokenExtractor, validate }, envOf(base));
      expect(s.passThroughContexts).toEqual(['rpc', 'ws']);
      expect(s.tokenExtractor).toBe(tokenExtractor);
      expect(s.validate).toBe(validate);
    });

    it.each([
      [{ passThroughContexts: 'rpc' as never }, 'passThroughContexts'],
      [{ passThroughContexts: ['rpc', ''] }, 'passThroughContexts'],
      [{ tokenExtractor: 'header' as never }, 'tokenExtractor'],
      [{ validate: true as never }, 'validate'],
    ])('stops start-up on a bad hook or context list (%#)', (options, option) => {
      expect(configError(() => resolveCognitoSettings(options, envOf(base))).setting).toBe(option);
    });
  });

  describe('shared state', () => {
    const KEY = 'k'.repeat(32);
    const fakeStore = (): CognitoStateStore => {
      const memory = new InMemoryStateStore();
      return {
        get: (k) => memory.get(k),
        set: (k, v, t) => memory.set(k, v, t),
        setIfAbsent: (k, v, t) => memory.setIfAbsent(k, v, t),
        delete: (k) => memory.delete(k),
        publish: (c, m) => memory.publish(c, m),
        subscribe: (c, l) => memory.subscribe(c, l),
      };
    };

    it('reads the Redis URL, prefix, state key and revocation settings from the environment', () => {
      const s = resolveCognitoSettings(
        undefined,
        envOf({
          ...base,
          COGNITO_REDIS_URL: 'redis://cache:6379/0',
          COGNITO_STATE_KEY: KEY,
          COGNITO_REVOCATION_FAIL_CLOSED: 'true',
          COGNITO_ONLINE_CHECK_SECONDS: '15',
        }),
      );
      expect(s.sharedState).toEqual({
        redis: { url: 'redis://cache:6379/0', prefix: 'nca:' },
        store: undefined,
        stateKey: KEY,
        revocationFailClosed: true,
        onlineCheckSeconds: 15,
      });
      expect(
        resolveCognitoSettings(
          undefined,
          envOf({ ...base, COGNITO_REDIS_URL: 'rediss://c', COGNITO_REDIS_PREFIX: 'app:', COGNITO_STATE_KEY: KEY }),
        ).sharedState.redis,
      ).toEqual({ url: 'rediss://c', prefix: 'app:' });
    });

    it('stops start-up on a state key shorter than 32 characters, naming COGNITO_STATE_KEY and not showing the key', () => {
      const err = configError(() =>
        resolveCognitoSettings(undefined, envOf({ ...base, COGNITO_STATE_KEY: 'short-secret-key-31-characters!' })),
      );
      expect(err.setting).toBe('COGNITO_STATE_KEY');
      expect(err.message).toContain('32');
      expect(err.message).not.toContain('short-secret');
      expect(configError(() => resolveCognitoSettings({ sharedState: { stateKey: 'x'.repeat(31) } }, envOf(base))).setting).toBe(
        'sharedState.stateKey',
      );
    });

    it('requires a state key with Redis or a shared store, not with the in-memory store', () => {
      expect(configError(() => resolveCognitoSettings(undefined, envOf({ ...base, COGNITO_REDIS_URL: 'redis://c' }))).setting).toBe(
        'COGNITO_STATE_KEY',
      );
      expect(configError(() => resolveCognitoSettings({ sharedState: { store: fakeStore() } }, envOf(base))).message).toContain(
        'sharedState.store',
      );
      expect(resolveCognitoSettings({ sharedState: { store: fakeStore(), stateKey: KEY } }, envOf(base)).sharedState.stateKey).toBe(KEY);
      const memory = new InMemoryStateStore();
      expect(resolveCognitoSettings({ sharedState: { store: memory } }, envOf(base)).sharedState.store).toBe(memory);
    });

    it('stops start-up on a Redis URL that is not redis:// without showing it (it may hold a password)', () => {
      const err = configError(() =>
        resolveCognitoSettings(undefined, envOf({ ...base, COGNITO_REDIS_URL: 'http://user:hunter2@cache', COGNITO_STATE_KEY: KEY })),
      );
      expect(err.setting).toBe('COGNITO_REDIS_URL');
      expect(err.message).not.toContain('hunter2');
    });

    it.each([
      [{ sharedState: { store: fakeStore(), redis: { url: 'redis://c' }, stateKey: KEY } }, 'sharedState.store'],
      [{ sharedState: { store: { get: () => undefined } as never } }, 'sharedState.store'],
      [{ sharedState: { redis: {} as never } }, 'sharedState.redis.url'],
      [{ sharedState: { onlineCheckSeconds: 0 } }, 'sharedState.onlineCheckSeconds'],
      [{ sharedState: { revocationFailClosed: 'yes' as never } }, 'sharedState.revocationFailClosed'],
    ])('stops start-up on bad shared-state options (%#)', (options, option) => {
      expect(configError(() => resolveCognitoSettings(options, envOf(base))).setting).toBe(option);
    });
  });
});
