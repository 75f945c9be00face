import { resolveCognitoSettings } from '../../../src/options/settings.resolver.js';
import { BASE_ENV, configError, envOf } from '../../support/settings.js';

const base = BASE_ENV;
const KEY = 's'.repeat(32);

describe('flows settings', () => {
  it('defaults: no controller, path auth, no hosted UI', () => {
    expect(resolveCognitoSettings(undefined, envOf(base)).flows).toEqual({ controller: false, path: 'auth', hostedUi: undefined });
  });

  it('reads the hosted UI from COGNITO_DOMAIN, COGNITO_REDIRECT_URI and COGNITO_SCOPES (space-separated)', () => {
    const s = resolveCognitoSettings(
      undefined,
      envOf({
        ...base,
        COGNITO_STATE_KEY: KEY,
        COGNITO_DOMAIN: 'myapp.auth.eu-west-1.amazoncognito.com',
        COGNITO_REDIRECT_URI: 'https://app.example/auth/callback',
        COGNITO_SCOPES: 'openid  email profile',
      }),
    );
    expect(s.flows?.hostedUi).toEqual({
      domain: 'https://myapp.auth.eu-west-1.amazoncognito.com',
      redirectUri: 'https://app.example/auth/callback',
      scopes: ['openid', 'email', 'profile'],
      afterLogin: '/',
    });
  });

  it('options win, the path is trimmed of slashes, scopes default to openid', () => {
    const s = resolveCognitoSettings(
      {
        flows: {
          controller: true,
          path: '/api/auth/',
          hostedUi: { domain: 'https://auth.example.com/', redirectUri: 'http://localhost:3000/cb', afterLogin: '/home' },
        },
        sharedState: { stateKey: KEY },
      },
      envOf({ ...base, COGNITO_DOMAIN: 'ignored.example' }),
    );
    expect(s.flows).toEqual({
      controller: true,
      path: 'api/auth',
      hostedUi: { domain: 'https://auth.example.com', redirectUri: 'http://localhost:3000/cb', scopes: ['openid'], afterLogin: '/home' },
    });
  });

  it('the controller alone starts without COGNITO_STATE_KEY (it uses no signed cookie)', () => {
    const settings = resolveCognitoSettings({ flows: { controller: true } }, envOf(base));
    expect(settings.flows).toMatchObject({ controller: true, path: 'auth' });
    expect(settings.sharedState.stateKey).toBeUndefined();
  });

  it('the hosted UI without COGNITO_STATE_KEY stops start-up, naming it (it signs the cognito_oauth cookie)', () => {
    const options = { flows: { controller: true, hostedUi: { domain: 'a.example', redirectUri: 'https://b.example/cb' } } };
    expect(configError(() => resolveCognitoSettings(options, envOf(base))).setting).toBe('COGNITO_STATE_KEY');
    const e = configError(() =>
      resolveCognitoSettings(undefined, envOf({ ...base, COGNITO_DOMAIN: 'a.example', COGNITO_REDIRECT_URI: 'https://b.example/cb' })),
    );
    expect(e.setting).toBe('COGNITO_STATE_KEY');
    expect(e.message).toContain('COGNITO_DOMAIN');
  });

  it.each([
    [{ COGNITO_REDIRECT_URI: 'https://b.example/cb' }, 'COGNITO_DOMAIN'],
    [{ COGNITO_DOMAIN: 'a.example' }, 'COGNITO_REDIRECT_URI'],
    [{ COGNITO_DOMAIN: 'https://a.example/path', COGNITO_REDIRECT_URI: 'https://b.example/cb' }, 'COGNITO_DOMAIN'],
    [{ COGNITO_DOMAIN: 'a.example', COGNITO_REDIRECT_URI: 'ftp://b.example/cb' }, 'COGNITO_REDIRECT_URI'],
    [{ COGNITO_DOMAIN: 'a.example', COGNITO_REDIRECT_URI: 'https://b.example/cb', COGNITO_SCOPES: 'openid "email"' }, 'COGNITO_SCOPES'],
  ])('bad hosted UI environment %p names %s', (env, setting) => {
    expect(configError(() => resolveCognitoSettings(undefined, envOf({ ...base, COGNITO_STATE_KEY: KEY, ...env }))).setting).toBe(setting);
  });

  it.each([
    [{ flows: { controller: 'yes' as never } }, 'flows.controller'],
    [{ flows: { path: 'a b' } }, 'flows.path'],
    [
      { flows: { hostedUi: { domain: 'a.example', redirectUri: 'https://b/cb', afterLogin: '//evil.example' } } },
      'flows.hostedUi.afterLogin',
    ],
    [
      { flows: { hostedUi: { domain: 'a.example', redirectUri: 'https://b/cb', afterLogin: 'javascript:alert(1)' } } },
      'flows.hostedUi.afterLogin',
    ],
    [{ flows: { hostedUi: { domain: 'a.example', redirectUri: 'https://b/cb', scopes: [] } } }, 'flows.hostedUi.scopes'],
    // A missing one is named as the one beside it was given: an option.
    [{ flows: { hostedUi: { domain: 'a.example' } } }, 'flows.hostedUi.redirectUri'],
    [{ flows: { hostedUi: { redirectUri: 'https://b/cb' } } }, 'flows.hostedUi.domain'],
  ])('bad option %p names %s', (options, setting) => {
    expect(configError(() => resolveCognitoSettings({ ...options, sharedState: { stateKey: KEY } }, envOf(base))).setting).toBe(setting);
  });
});
