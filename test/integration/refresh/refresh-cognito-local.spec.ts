/**
 * TokenRefreshService against cognito-local: the real SDK v3 client, real tokens. The service's
 * SDK client has no credentials at all (the provider chain is pointed at nothing): the three
 * operations it uses are unsigned.
 */
import { AuthUnavailableError, RefreshFailedError } from '../../../src/errors/cognito-auth.errors.js';
import { resolveCognitoSettings } from '../../../src/options/settings.resolver.js';
import { TokenRefreshService } from '../../../src/tokens/token-refresh.service.js';
import {
  type CognitoLocal,
  type ProvisionedPool,
  decodeJwtPayload,
  findFreePort,
  provisionCognitoLocal,
  startCognitoLocal,
} from '../../support/cognito-local.js';

const CREDENTIAL_ENV = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONFIG_FILE',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
];

/** The `sub` of a login's ID token (refresh attempts are counted per user). */
const subOf = (login: { idToken: string }): string => decodeJwtPayload(login.idToken).sub as string;

describe('TokenRefreshService against cognito-local', () => {
  let cl: CognitoLocal;
  let pool: ProvisionedPool;
  let service: TokenRefreshService;
  const savedEnv: Record<string, string | undefined> = {};

  beforeAll(async () => {
    // No credentials anywhere: a profile that does not exist, files that do not exist, no IMDS.
    // Were the default chain consulted, the call would fail with CredentialsProviderError.
    for (const name of CREDENTIAL_ENV) {
      savedEnv[name] = process.env[name];
      delete process.env[name];
    }
    process.env.AWS_PROFILE = 'nest-cognito-auth-no-such-profile';
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
    process.env.AWS_CONFIG_FILE = '/nonexistent/config';
    process.env.AWS_EC2_METADATA_DISABLED = 'true';

    cl = await startCognitoLocal();
    pool = await provisionCognitoLocal(cl.endpoint, {
      users: [{ username: 'alice', password: 'Passw0rd!', email: 'alice@example.com', groups: ['admin'] }],
    });
    service = new TokenRefreshService(
      resolveCognitoSettings({ userPoolId: pool.userPoolId, clientId: pool.clientId, endpoint: cl.endpoint }, () => undefined),
    );
  });

  afterAll(async () => {
    service?.onModuleDestroy();
    await cl?.stop();
    for (const name of CREDENTIAL_ENV) {
      if (savedEnv[name] === undefined) delete process.env[name];
      else process.env[name] = savedEnv[name];
    }
  });

  it('refreshes a valid refresh token into new access and ID tokens of the same user', async () => {
    const login = await pool.login('alice', 'Passw0rd!');
    const before = decodeJwtPayload(login.idToken);
    const tokens = await service.refresh({
      refreshToken: login.refreshToken,
      clientId: pool.clientId,
      sub: before.sub as string,
      username: 'alice',
    });

    const access = decodeJwtPayload(tokens.accessToken);
    const id = decodeJwtPayload(tokens.idToken);
    expect(access.token_use).toBe('access');
    expect(id.token_use).toBe('id');
    expect(access.sub).toBe(before.sub);
    expect(id.sub).toBe(before.sub);
    expect(access.client_id).toBe(pool.clientId);
    expect(id.aud).toBe(pool.clientId);
    expect(id.iss).toBe(pool.issuer);
    expect(id['cognito:username']).toBe('alice');
    expect(id['cognito:groups']).toEqual(['admin']);
    // cognito-local does not rotate: no new refresh token is reported.
    expect(tokens.refreshToken).toBeUndefined();
  });

  it('works without a username for a client without a secret', async () => {
    const login = await pool.login('alice', 'Passw0rd!');
    const tokens = await service.refresh({ refreshToken: login.refreshToken, clientId: pool.clientId, sub: subOf(login) });
    expect(decodeJwtPayload(tokens.idToken).token_use).toBe('id');
  });

  it('refuses a refresh token after RevokeToken', async () => {
    const login = await pool.login('alice', 'Passw0rd!');
    const input = { refreshToken: login.refreshToken, clientId: pool.clientId, sub: subOf(login) };
    await service.refresh(input);
    await service.revoke(login.refreshToken, { clientId: pool.clientId });
    await expect(service.refresh(input)).rejects.toBeInstanceOf(RefreshFailedError);
  });

  it('refuses a garbage refresh token with 401 refresh_failed', async () => {
    const err = await service
      .refresh({ refreshToken: 'this-is-not-a-refresh-token-at-all', clientId: pool.clientId, sub: 'garbage-user' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefreshFailedError);
    expect((err as RefreshFailedError).getStatus()).toBe(401);
    expect((err as RefreshFailedError).code).toBe('refresh_failed');
  });

  it('refuses an empty refresh token and an unknown client without calling Cognito', async () => {
    await expect(service.refresh({ refreshToken: '  ', clientId: pool.clientId, sub: 'u' })).rejects.toBeInstanceOf(RefreshFailedError);
    await expect(service.refresh({ refreshToken: 'x', clientId: 'someOtherClient', sub: 'u' })).rejects.toBeInstanceOf(RefreshFailedError);
  });

  it('answers 503 auth_unavailable when cognito-local is gone', async () => {
    const port = await findFreePort();
    const down = new TokenRefreshService(
      resolveCognitoSettings(
        {
          userPoolId: pool.userPoolId,
          clientId: pool.clientId,
          endpoint: `http://127.0.0.1:${port}`,
          cognitoTimeoutMs: 2000,
          retryAfterSeconds: 7,
        },
        () => undefined,
      ),
    );
    try {
      const err = await down.refresh({ refreshToken: 'whatever', clientId: pool.clientId, sub: 'u' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthUnavailableError);
      expect((err as AuthUnavailableError).retryAfterSeconds).toBe(7);
    } finally {
      down.onModuleDestroy();
    }
  });
});
