import { TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { CognitoUser } from '../../../src/index.js';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { seedHeaders, type TestApp } from '../../support/test-app.js';
import { flowsApp, PASSWORD } from './flows-app.js';

const NEW_PASSWORD = 'N3w-Passw0rd!';

/** Sign-up, confirmation, forgotten and changed passwords, logout and global sign-out, over HTTP. */
describe('account flows', () => {
  let idp: TestIdentityProvider;
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    t = await flowsApp(
      idp,
      { users: { autoCreate: true } },
      {
        imports: [TypeOrmModule.forRoot({ type: 'better-sqlite3', database: ':memory:', entities: [CognitoUser], synchronize: true })],
      },
    );
    db = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });
  beforeEach(() => {
    idp.flows.controls.mode = 'ok';
    idp.flows.resetCalls();
  });
  afterAll(() => {
    for (const line of t.logger.lines) for (const secret of [PASSWORD, NEW_PASSWORD]) expect(line).not.toContain(secret);
  });

  const post = (path: string, body?: object) => request(t.server).post(path).send(body);
  const rows = () => db.getRepository(CognitoUser).count();
  const signIn = async (username: string, password = PASSWORD) => {
    const res = await post('/auth/login', { username, password });
    expect(res.status).toBe(200);
    return res.body as { accessToken: string; idToken: string; refreshToken: string; user: { sub: string } };
  };

  describe('sign-up and confirmation', () => {
    it('201 confirmation_required with the masked delivery; no local row until the user signs in; confirm 204; then sign-in', async () => {
      const res = await post('/auth/signup', {
        username: 'carol',
        password: PASSWORD,
        attributes: { email: 'carol@example.test', given_name: 'Carol' },
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        status: 'confirmation_required',
        delivery: { destination: 'c***@e***', medium: 'EMAIL', attribute: 'email' },
      });
      expect(await rows()).toBe(0);
      expect((await post('/auth/login', { username: 'carol', password: PASSWORD })).body.code).toBe('user_not_confirmed');
      const code = idp.flows.lastCode('carol', 'signup')!;
      expect(code).toMatch(/^\d{6}$/);
      const confirm = await post('/auth/confirm', { username: 'carol', code });
      expect(confirm.status).toBe(204);
      expect(confirm.text).toBe('');
      const tokens = await signIn('carol');
      expect((await request(t.server).get('/t/me').set(seedHeaders(tokens))).status).toBe(200);
      expect(await rows()).toBe(1);
    });

    it('a taken user name is 409 username_exists, and leaves no local row', async () => {
      idp.flows.addUser({ username: 'taken', password: PASSWORD });
      const before = await rows();
      const res = await post('/auth/signup', { username: 'taken', password: PASSWORD });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('username_exists');
      expect(await rows()).toBe(before);
    });

    it("a policy-breaking password is 400 invalid_password with Cognito's policy message (not the password), no user, no row", async () => {
      const before = await rows();
      const res = await post('/auth/signup', { username: 'weak', password: 'weakpassword1!' });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        code: 'invalid_password',
        message: 'Password did not conform with policy: Password must have uppercase characters',
      });
      expect(JSON.stringify(res.body)).not.toContain('weakpassword1!');
      expect(idp.flows.user('weak')).toBeUndefined();
      expect(await rows()).toBe(before);
    });

    it('a wrong code is 400 code_mismatch; an expired one 400 code_expired; a used one 400 code_expired', async () => {
      await post('/auth/signup', { username: 'dave', password: PASSWORD, attributes: { email: 'dave@example.test' } });
      const code = idp.flows.lastCode('dave', 'signup')!;
      expect((await post('/auth/confirm', { username: 'dave', code: code === '000000' ? '111111' : '000000' })).body.code).toBe(
        'code_mismatch',
      );
      idp.flows.expireCodes('dave');
      expect((await post('/auth/confirm', { username: 'dave', code })).body.code).toBe('code_expired');
      expect((await post('/auth/resend', { username: 'dave' })).status).toBe(204);
      const fresh = idp.flows.lastCode('dave', 'signup')!;
      expect((await post('/auth/confirm', { username: 'dave', code: fresh })).status).toBe(204);
      const reused = await post('/auth/confirm', { username: 'dave', code: fresh });
      expect(reused.status).toBe(400);
      expect(reused.body.code).toBe('code_expired');
    });

    it('confirming an unknown user is code_mismatch (it does not say the user is unknown)', async () => {
      expect((await post('/auth/confirm', { username: 'ghost', code: '123456' })).body.code).toBe('code_mismatch');
    });

    it('resend is 204 for an unknown or a confirmed user too: the answer does not tell', async () => {
      idp.flows.addUser({ username: 'confirmed', password: PASSWORD });
      for (const username of ['ghost', 'confirmed']) {
        const res = await post('/auth/resend', { username });
        expect(res.status).toBe(204);
      }
      expect(idp.flows.calls['ResendConfirmationCode']).toBe(2);
    });

    it.each([
      [{ username: 'x' }, 'password must be a non-empty string'],
      [{ username: 'x', password: PASSWORD, attributes: { email: 1 } }, 'attributes.email must be a string of at most 2048 characters'],
    ])('a bad sign-up body %p is 400', async (body, message) => {
      const res = await post('/auth/signup', body);
      expect(res.status).toBe(400);
      expect(res.body.message).toBe(message);
    });
  });

  describe('forgotten password', () => {
    it('forgot is 202 with the same empty answer and one Cognito call, whether or not the user exists', async () => {
      idp.flows.addUser({ username: 'erin', password: PASSWORD });
      const known = await post('/auth/forgot', { username: 'erin' });
      const unknown = await post('/auth/forgot', { username: 'ghost' });
      expect([known.status, unknown.status]).toEqual([202, 202]);
      expect(known.text).toBe(unknown.text);
      expect(idp.flows.calls['ForgotPassword']).toBe(2);
    });

    it('forgot: a per-user attempt limit still answers 202; API throttling is 429; Cognito down is 503', async () => {
      idp.flows.controls.mode = 'limit-exceeded';
      expect((await post('/auth/forgot', { username: 'erin' })).status).toBe(202);
      idp.flows.controls.mode = 'throttle';
      const throttled = await post('/auth/forgot', { username: 'erin' });
      expect(throttled.status).toBe(429);
      expect(throttled.headers['retry-after']).toBe('5');
      idp.flows.controls.mode = 'error';
      expect((await post('/auth/forgot', { username: 'erin' })).body.code).toBe('auth_unavailable');
    });

    it('reset: wrong code 400 code_mismatch, weak password 400 invalid_password, then 204 and the new password signs in; the code is then used', async () => {
      idp.flows.addUser({ username: 'frank', password: PASSWORD });
      await post('/auth/forgot', { username: 'frank' });
      const code = idp.flows.lastCode('frank', 'forgot')!;
      expect(
        (await post('/auth/reset', { username: 'frank', code: code === '000000' ? '111111' : '000000', password: NEW_PASSWORD })).body.code,
      ).toBe('code_mismatch');
      expect((await post('/auth/reset', { username: 'frank', code, password: 'short' })).body.code).toBe('invalid_password');
      expect((await post('/auth/reset', { username: 'frank', code, password: NEW_PASSWORD })).status).toBe(204);
      await signIn('frank', NEW_PASSWORD);
      expect((await post('/auth/reset', { username: 'frank', code, password: 'An0ther-Pass!' })).body.code).toBe('code_expired');
    });

    it('an expired reset code is 400 code_expired', async () => {
      idp.flows.addUser({ username: 'gina', password: PASSWORD });
      await post('/auth/forgot', { username: 'gina' });
      idp.flows.expireCodes('gina');
      expect(
        (await post('/auth/reset', { username: 'gina', code: idp.flows.lastCode('gina', 'forgot')!, password: NEW_PASSWORD })).body.code,
      ).toBe('code_expired');
    });
  });

  describe('signed in: change password, logout, global sign-out', () => {
    it('password change needs a signed-in caller (401 token_missing otherwise)', async () => {
      const res = await post('/auth/password', { oldPassword: PASSWORD, newPassword: NEW_PASSWORD });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_missing');
    });

    it('password change: wrong old password 401 invalid_credentials, weak new 400 invalid_password, then 204', async () => {
      idp.flows.addUser({ username: 'hank', password: PASSWORD });
      const tokens = await signIn('hank');
      const as = (body: object) => request(t.server).post('/auth/password').set(seedHeaders(tokens)).send(body);
      expect((await as({ oldPassword: 'Wr0ng-Horse!', newPassword: NEW_PASSWORD })).body.code).toBe('invalid_credentials');
      expect((await as({ oldPassword: PASSWORD, newPassword: 'weak' })).body.code).toBe('invalid_password');
      expect((await as({ oldPassword: PASSWORD })).status).toBe(400);
      expect((await as({ oldPassword: PASSWORD, newPassword: NEW_PASSWORD })).status).toBe(204);
      await signIn('hank', NEW_PASSWORD);
    });

    it('logout is 204, revokes the refresh token at Cognito and the tokens answer token_revoked', async () => {
      idp.flows.addUser({ username: 'ivy', password: PASSWORD });
      const tokens = await signIn('ivy');
      idp.resetStats();
      expect((await request(t.server).post('/auth/logout').set(seedHeaders(tokens))).status).toBe(204);
      expect(idp.stats.revokeToken).toBe(1);
      expect((await request(t.server).get('/t/me').set(seedHeaders(tokens))).body.code).toBe('token_revoked');
      expect((await request(t.server).post('/auth/logout').set(seedHeaders(tokens))).status).toBe(204);
    });

    it('logout/all: every session of the user stops here at once and at Cognito', async () => {
      idp.flows.addUser({ username: 'jack', password: PASSWORD });
      const phone = await signIn('jack');
      const laptop = await signIn('jack');
      const res = await request(t.server).post('/auth/logout/all').set(seedHeaders(laptop));
      expect(res.status).toBe(204);
      expect(idp.flows.calls['GlobalSignOut']).toBe(1);
      for (const tokens of [phone, laptop])
        expect((await request(t.server).get('/t/me').set(seedHeaders(tokens))).body.code).toBe('token_revoked');
      expect(
        (await request(t.server).post('/auth/password').set(seedHeaders(phone)).send({ oldPassword: PASSWORD, newPassword: NEW_PASSWORD }))
          .status,
      ).toBe(401);
    });

    it('logout/all without a session is 401', async () => {
      expect((await post('/auth/logout/all')).status).toBe(401);
    });
  });
});
