/**
 * CognitoAdminService against the test identity provider, for what cognito-local cannot show:
 * exact paging (and that pages are fetched lazily), the filter's escaping, global sign-out (local
 * revocation and Cognito's), a disabled user's sign-in, throttling, Cognito failing or hanging,
 * missing IAM credentials, and that no temporary password reaches a message or a log.
 */
import { InitiateAuthCommand, NotAuthorizedException } from '@aws-sdk/client-cognito-identity-provider';
import request from 'supertest';
import { AdminInvalidParameterError } from '../../../src/errors/admin.errors.js';
import { CognitoAdminService } from '../../../src/admin/cognito-admin.service.js';
import { AuthUnavailableError, InvalidPasswordError, LimitExceededError, UserNotRegisteredError } from '../../../src/index.js';
import { createTestApp, seedHeaders, type TestApp } from '../../support/test-app.js';
import { CognitoAdminModule } from '../../../src/admin/cognito-admin.module.js';
import { ADMIN_TEST_PASSWORD, adminApp, useAwsCredentials } from '../../e2e/admin/admin-app.js';
import { testIdpBackend } from './admin-backends.js';

type Backend = Awaited<ReturnType<typeof testIdpBackend>>;

/** The tokens of a password sign-in. */
async function signIn(backend: Backend, username: string): Promise<{ accessToken: string; idToken: string; refreshToken: string }> {
  const out = await backend.login(username, ADMIN_TEST_PASSWORD);
  const r = out.AuthenticationResult;
  if (!r?.AccessToken || !r.IdToken || !r.RefreshToken) throw new Error(`no tokens for ${username}`);
  return { accessToken: r.AccessToken, idToken: r.IdToken, refreshToken: r.RefreshToken };
}

describe('CognitoAdminService against the test identity provider', () => {
  let backend: Backend;
  let t: TestApp;
  let admin: CognitoAdminService;
  let restoreEnv: () => void;

  beforeAll(async () => {
    restoreEnv = useAwsCredentials({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example-secret' });
    backend = await testIdpBackend();
    for (const name of ['u1', 'u2', 'u3', 'u4', 'u5']) backend.idp.flows.addUser({ username: name, password: ADMIN_TEST_PASSWORD });
    backend.idp.flows.addUser({ username: 'obrien', password: ADMIN_TEST_PASSWORD, attributes: { given_name: 'O"Brien\\x' } });
    t = await adminApp(backend.auth, { users: { autoCreate: true } });
    admin = t.app.get(CognitoAdminService);
  });
  afterAll(async () => {
    await t?.close();
    await backend?.close();
    restoreEnv?.();
  });
  beforeEach(() => {
    backend.idp.admin.controls.mode = 'ok';
    backend.idp.admin.resetCalls();
  });

  it('pages follow PaginationToken, sorted, pageSize users each', async () => {
    const pages: string[][] = [];
    for await (const page of admin.listUsers({ pageSize: 2, filter: { attribute: 'username', value: 'u', match: 'prefix' } })) {
      pages.push(page.map((u) => u.username));
    }
    expect(pages).toEqual([['u1', 'u2'], ['u3', 'u4'], ['u5']]);
    expect(backend.idp.admin.calls['ListUsers']).toBe(3);
  });

  it('a page is fetched only when the loop asks for it: breaking out stops the calls', async () => {
    for await (const page of admin.listUsers({ pageSize: 1 })) {
      expect(page).toHaveLength(1);
      break;
    }
    expect(backend.idp.admin.calls['ListUsers']).toBe(1);
  });

  it('a filter value with quotes and backslashes is escaped, so it matches the value and nothing else', async () => {
    const found: string[] = [];
    for await (const page of admin.listUsers({ filter: { attribute: 'given_name', value: 'O"Brien\\x' } }))
      found.push(...page.map((u) => u.username));
    expect(found).toEqual(['obrien']);
    const none: string[] = [];
    for await (const page of admin.listUsers({ filter: { attribute: 'given_name', value: 'O" or username ^= "u' } }))
      none.push(...page.map((u) => u.username));
    expect(none).toEqual([]);
  });

  it('globalSignOut: the tokens stop passing here at once (token_revoked) and Cognito refuses the refresh token', async () => {
    backend.idp.flows.addUser({ username: 'eve', password: ADMIN_TEST_PASSWORD });
    const tokens = await signIn(backend, 'eve');
    expect((await request(t.server).get('/t/me').set(seedHeaders(tokens))).status).toBe(200);

    await admin.globalSignOut('eve');
    const refused = await request(t.server).get('/t/me').set(seedHeaders(tokens));
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('token_revoked');
    const refresh = backend.sdk.send(
      new InitiateAuthCommand({
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        ClientId: backend.idp.clientIds[0],
        AuthParameters: { REFRESH_TOKEN: tokens.refreshToken },
      }),
    );
    await expect(refresh).rejects.toBeInstanceOf(NotAuthorizedException);
    expect(backend.idp.admin.calls['AdminUserGlobalSignOut']).toBe(1);

    // Only tokens issued up to the sign-out are refused (the cut-off is in whole seconds, so a
    // token of the next second stands for a later sign-in).
    const sub = (await admin.getUser('eve')).sub!;
    const later = await backend.idp.issueTokens({ sub, username: 'eve', now: Math.floor(Date.now() / 1000) + 1 });
    expect((await request(t.server).get('/t/me').set(seedHeaders(later))).status).toBe(200);
  });

  it('a disabled user cannot sign in; enabled again, they can', async () => {
    backend.idp.flows.addUser({ username: 'frank', password: ADMIN_TEST_PASSWORD });
    await admin.disableUser('frank');
    await expect(backend.login('frank', ADMIN_TEST_PASSWORD)).rejects.toBeInstanceOf(NotAuthorizedException);
    await admin.enableUser('frank');
    expect((await backend.login('frank', ADMIN_TEST_PASSWORD)).AuthenticationResult?.AccessToken).toBeTruthy();
  });

  it('throttling is 429 limit_exceeded; Cognito failing is 503 auth_unavailable', async () => {
    backend.idp.admin.controls.mode = 'throttle';
    await expect(admin.getUser('u1')).rejects.toBeInstanceOf(LimitExceededError);
    backend.idp.admin.controls.mode = 'limit-exceeded';
    await expect(admin.addToGroup('u1', 'admin')).rejects.toBeInstanceOf(LimitExceededError);
    backend.idp.admin.controls.mode = 'error';
    const err = await admin.disableUser('u1').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AuthUnavailableError);
    expect((err as AuthUnavailableError).retryAfterSeconds).toBe(5);
  });

  it('a temporary password against the policy is 400 invalid_password; it appears in no message and no log', async () => {
    const password = 'weakpassword';
    const err = await admin.createUser({ username: 'gina', temporaryPassword: password, suppressMessage: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InvalidPasswordError);
    expect((err as InvalidPasswordError).message).toMatch(/policy/);
    const texts = [JSON.stringify((err as InvalidPasswordError).toBody()), ...t.logger.lines];
    expect(texts.filter((line) => line.includes(password))).toEqual([]);
  });

  it('without a temporary password Cognito makes one (the test reads it) and the user must change it', async () => {
    await admin.createUser({ username: 'hank', attributes: { email: 'hank@example.com' }, deliveryMediums: ['EMAIL'] });
    const temporary = backend.idp.admin.lastTemporaryPassword('hank');
    expect(temporary).toBeTruthy();
    expect((await backend.login('hank', temporary!)).ChallengeName).toBe('NEW_PASSWORD_REQUIRED');
  });

  it('bad arguments are 400 invalid_parameter with no call made', async () => {
    for (const call of [
      () => admin.getUser(''),
      () => admin.getUser('has space'),
      () => admin.addToGroup('u1', ''),
      () => admin.createUser({ username: 'x', attributes: { email: 42 as unknown as string } }),
      () => admin.createUser({ username: 'x', deliveryMediums: ['FAX' as 'SMS'] }),
    ]) {
      await expect(call()).rejects.toBeInstanceOf(AdminInvalidParameterError);
    }
    expect(() => admin.listUsers({ filter: { attribute: 'custom:team' as 'sub', value: 'x' } })).toThrow(AdminInvalidParameterError);
    expect(Object.values(backend.idp.admin.calls).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('Cognito hanging is 503 once the Cognito timeout passes', async () => {
    const slow = await adminApp({ ...backend.auth, cognitoTimeoutMs: 200 });
    try {
      backend.idp.admin.controls.mode = 'hang';
      await expect(slow.app.get(CognitoAdminService).getUser('u1')).rejects.toBeInstanceOf(AuthUnavailableError);
    } finally {
      backend.idp.admin.controls.mode = 'ok';
      await slow.close();
    }
  });

  it('no IAM credentials anywhere: 503, a log line saying what admin calls need, and no request sent', async () => {
    const restore = useAwsCredentials(null);
    const bare = await adminApp(backend.auth);
    try {
      const err = await bare.app
        .get(CognitoAdminService)
        .getUser('u1')
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(AuthUnavailableError);
      expect(bare.logger.lines.some((l) => l.includes('admin calls need IAM credentials'))).toBe(true);
      expect(backend.idp.admin.calls['AdminGetUser'] ?? 0).toBe(0);
    } finally {
      await bare.close();
      restore();
    }
  });

  it('resyncUser: with auto-create off and no row, 403 user_not_registered; with user sync off, 503', async () => {
    const strict = await adminApp(backend.auth, { users: { autoCreate: false } });
    const off = await createTestApp({ ...backend.auth, users: false }, { imports: [CognitoAdminModule] });
    try {
      await expect(strict.app.get(CognitoAdminService).resyncUser('u2')).rejects.toBeInstanceOf(UserNotRegisteredError);
      await expect(off.app.get(CognitoAdminService).resyncUser('u2')).rejects.toBeInstanceOf(AuthUnavailableError);
      expect(off.logger.lines.some((l) => l.includes('resyncUser() needs user sync'))).toBe(true);
    } finally {
      await strict.close();
      await off.close();
    }
  });
});
