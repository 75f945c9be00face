import request from 'supertest';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { totpCode } from '../../../src/testing/flows/totp.js';
import { findLeaks } from '../../support/capture-logger.js';
import { clockModule, ManualClock } from '../../support/clock.js';
import { HTTP_PLATFORMS, seedHeaders, type TestApp } from '../../support/test-app.js';
import { flowsApp, PASSWORD, texts } from './flows-app.js';

const NEW_PASSWORD = 'N3w-Passw0rd!';

/** Every challenge Cognito returns, answered through POST /auth/challenge, end to end against the test identity provider. */
describe.each(HTTP_PLATFORMS)('POST /auth/challenge (%s)', (platform) => {
  let idp: TestIdentityProvider;
  let t: TestApp;
  const clock = new ManualClock(Date.now());
  const seen: unknown[] = [];
  const codes: string[] = [];

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    idp.flows.controls.now = clock.now;
    t = await flowsApp(idp, {}, { imports: [clockModule(clock)] }, platform);
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });
  afterAll(() => {
    for (const line of t.logger.lines) for (const secret of [PASSWORD, NEW_PASSWORD, ...codes]) expect(line).not.toContain(secret);
    expect(
      findLeaks(
        texts(...t.logger.lines),
        seen.flatMap((b) => Object.values(b as object)).filter((v): v is string => typeof v === 'string'),
      ),
    ).toEqual([]);
  });

  const post = (path: string, body: object) => request(t.server).post(path).send(body);
  const login = async (username: string, password = PASSWORD, srp = false) => {
    const res = await post('/auth/login', { username, password, srp });
    expect(res.status).toBe(200);
    return res.body as { status: string; challenge: string; session: string; parameters: Record<string, string> };
  };
  const answer = async (session: string, challenge: string, answers: Record<string, string>) => {
    Object.values(answers).forEach((v) => /^\d{6}$/.test(v) && codes.push(v));
    const res = await post('/auth/challenge', { session, challenge, answers });
    if (res.status === 200 && res.body.status === 'signed_in') seen.push(res.body);
    return res;
  };
  let n = 0;
  const user = (spec: Omit<Parameters<TestIdentityProvider['flows']['addUser']>[0], 'username' | 'password'>) =>
    idp.flows.addUser({ username: `${platform}-u${++n}`, password: PASSWORD, ...spec }).username;

  it("NEW_PASSWORD_REQUIRED: a policy-breaking password is 400 invalid_password (Cognito's message), then the new one signs in", async () => {
    const name = user({ status: 'FORCE_CHANGE_PASSWORD' });
    const c = await login(name);
    expect(c).toMatchObject({ status: 'challenge', challenge: 'NEW_PASSWORD_REQUIRED' });
    expect(Object.keys(c.parameters).sort()).toEqual(['requiredAttributes', 'userAttributes']);
    expect(c.session).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    const weak = await answer(c.session, 'NEW_PASSWORD_REQUIRED', { NEW_PASSWORD: 'weakpass' });
    expect(weak.status).toBe(400);
    expect(weak.body).toMatchObject({
      code: 'invalid_password',
      message: 'Password did not conform with policy: Password must have uppercase characters',
    });
    const ok = await answer(c.session, 'NEW_PASSWORD_REQUIRED', { NEW_PASSWORD, 'userAttributes.given_name': 'Ada' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'signed_in', user: { username: name } });
    expect((await request(t.server).get('/t/me').set(seedHeaders(ok.body))).status).toBe(200);
    expect((await post('/auth/login', { username: name, password: NEW_PASSWORD })).body.status).toBe('signed_in');
  });

  it('SMS_MFA: a wrong code is 400 code_mismatch and the session stays good; the right code signs in; the session is then used up', async () => {
    const name = user({ mfa: ['SMS_MFA'], phoneNumber: '+15555550123' });
    const c = await login(name);
    expect(c).toMatchObject({
      challenge: 'SMS_MFA',
      parameters: { CODE_DELIVERY_DELIVERY_MEDIUM: 'SMS', CODE_DELIVERY_DESTINATION: '+*******0123' },
    });
    const code = idp.flows.lastCode(name, 'SMS_MFA')!;
    const wrong = await answer(c.session, 'SMS_MFA', { SMS_MFA_CODE: code === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.code).toBe('code_mismatch');
    const ok = await answer(c.session, 'SMS_MFA', { SMS_MFA_CODE: code });
    expect(ok.body.status).toBe('signed_in');
    const reused = await answer(c.session, 'SMS_MFA', { SMS_MFA_CODE: code });
    expect(reused.status).toBe(400);
    expect(reused.body.code).toBe('invalid_state');
  });

  it('SMS_MFA with SRP: the challenge follows the password verifier', async () => {
    const name = user({ mfa: ['SMS_MFA'] });
    const c = await login(name, PASSWORD, true);
    expect(c.challenge).toBe('SMS_MFA');
    expect((await answer(c.session, 'SMS_MFA', { SMS_MFA_CODE: idp.flows.lastCode(name, 'SMS_MFA')! })).body.status).toBe('signed_in');
  });

  it('an expired MFA code is 400 code_expired', async () => {
    const name = user({ mfa: ['EMAIL_OTP'] });
    const c = await login(name);
    idp.flows.expireCodes(name);
    const res = await answer(c.session, 'EMAIL_OTP', { EMAIL_OTP_CODE: idp.flows.lastCode(name, 'EMAIL_OTP')! });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('code_expired');
  });

  it('EMAIL_OTP signs in with the e-mailed code', async () => {
    const name = user({ mfa: ['EMAIL_OTP'] });
    const c = await login(name);
    expect(c.parameters).toMatchObject({ CODE_DELIVERY_DELIVERY_MEDIUM: 'EMAIL' });
    expect((await answer(c.session, 'EMAIL_OTP', { EMAIL_OTP_CODE: idp.flows.lastCode(name, 'EMAIL_OTP')! })).body.status).toBe(
      'signed_in',
    );
  });

  it('SOFTWARE_TOKEN_MFA: the authenticator code signs in; the same code again is refused', async () => {
    const name = user({ mfa: ['SOFTWARE_TOKEN_MFA'] });
    const first = await login(name);
    expect(first.challenge).toBe('SOFTWARE_TOKEN_MFA');
    const code = idp.flows.totpCode(name);
    expect((await answer(first.session, 'SOFTWARE_TOKEN_MFA', { SOFTWARE_TOKEN_MFA_CODE: code })).body.status).toBe('signed_in');
    const second = await login(name);
    const replay = await answer(second.session, 'SOFTWARE_TOKEN_MFA', { SOFTWARE_TOKEN_MFA_CODE: code });
    expect(replay.body.code).toBe('code_mismatch');
    clock.advance(30_000);
    expect((await answer(second.session, 'SOFTWARE_TOKEN_MFA', { SOFTWARE_TOKEN_MFA_CODE: idp.flows.totpCode(name) })).body.status).toBe(
      'signed_in',
    );
  });

  it('SELECT_MFA_TYPE: the choice leads to that challenge', async () => {
    const name = user({ mfa: ['SMS_MFA', 'EMAIL_OTP'] });
    const c = await login(name);
    expect(c).toMatchObject({ challenge: 'SELECT_MFA_TYPE', parameters: { MFAS_CAN_CHOOSE: '["SMS_MFA","EMAIL_OTP"]' } });
    const next = await answer(c.session, 'SELECT_MFA_TYPE', { ANSWER: 'EMAIL_OTP' });
    expect(next.body).toMatchObject({ status: 'challenge', challenge: 'EMAIL_OTP' });
    expect((await answer(next.body.session, 'EMAIL_OTP', { EMAIL_OTP_CODE: idp.flows.lastCode(name, 'EMAIL_OTP')! })).body.status).toBe(
      'signed_in',
    );
  });

  it('MFA_SETUP: the secret to enrol comes with the challenge; its first code verifies it and signs in; next time TOTP is asked', async () => {
    const name = user({ requireMfaSetup: true });
    const c = await login(name);
    expect(c.challenge).toBe('MFA_SETUP');
    const secret = c.parameters['SECRET_CODE']!;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(idp.flows.calls['AssociateSoftwareToken']).toBeGreaterThan(0);
    const wrong = await answer(c.session, 'MFA_SETUP', { SOFTWARE_TOKEN_MFA_CODE: totpCode(secret, clock.now() - 300_000) });
    expect(wrong.body.code).toBe('code_mismatch');
    const ok = await answer(c.session, 'MFA_SETUP', {
      SOFTWARE_TOKEN_MFA_CODE: totpCode(secret, clock.now()),
      FRIENDLY_DEVICE_NAME: 'phone',
    });
    expect(ok.body.status).toBe('signed_in');
    clock.advance(30_000);
    expect((await login(name)).challenge).toBe('SOFTWARE_TOKEN_MFA');
  });

  describe('forged, expired and misused challenge sessions are 400 invalid_state, with no Cognito call', () => {
    it.each([
      ['random text', 'not-a-session'],
      ['a made-up sealed value', `v1.${Buffer.alloc(64, 7).toString('base64url')}`],
    ])('%s', async (_, session) => {
      idp.flows.resetCalls();
      const res = await answer(session, 'SMS_MFA', { SMS_MFA_CODE: '123456' });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_state');
      expect(idp.flows.calls['RespondToAuthChallenge'] ?? 0).toBe(0);
    });

    it('a session with one character changed', async () => {
      const c = await login(user({ mfa: ['SMS_MFA'] }));
      const i = c.session.length - 5;
      const tampered = c.session.slice(0, i) + (c.session[i] === 'A' ? 'B' : 'A') + c.session.slice(i + 1);
      expect((await answer(tampered, 'SMS_MFA', { SMS_MFA_CODE: '123456' })).body.code).toBe('invalid_state');
    });

    it('a session sealed with another state key (another app)', async () => {
      const other = await flowsApp(idp, { sharedState: { stateKey: 'another-state-key-of-32-characters!' } }, {}, platform);
      try {
        const name = user({ mfa: ['SMS_MFA'] });
        const c = (await request(other.server).post('/auth/login').send({ username: name, password: PASSWORD })).body;
        expect((await answer(c.session, 'SMS_MFA', { SMS_MFA_CODE: idp.flows.lastCode(name, 'SMS_MFA')! })).body.code).toBe(
          'invalid_state',
        );
      } finally {
        await other.close();
      }
    });

    it('a session past its 15 minutes (injected clock)', async () => {
      const name = user({ mfa: ['SMS_MFA'] });
      const c = await login(name);
      clock.advance(15 * 60_000 + 1000);
      idp.flows.resetCalls();
      expect((await answer(c.session, 'SMS_MFA', { SMS_MFA_CODE: idp.flows.lastCode(name, 'SMS_MFA')! })).body.code).toBe('invalid_state');
      expect(idp.flows.calls['RespondToAuthChallenge'] ?? 0).toBe(0);
    });

    it('a session answered as another challenge', async () => {
      const c = await login(user({ mfa: ['SMS_MFA'] }));
      expect((await answer(c.session, 'EMAIL_OTP', { EMAIL_OTP_CODE: '123456' })).body.code).toBe('invalid_state');
    });
  });

  it('the session is bound to its user: a USERNAME in the answers is ignored', async () => {
    const victim = user({});
    const name = user({ mfa: ['SMS_MFA'] });
    const c = await login(name);
    const res = await answer(c.session, 'SMS_MFA', { SMS_MFA_CODE: idp.flows.lastCode(name, 'SMS_MFA')!, USERNAME: victim });
    expect(res.body.user.username).toBe(name);
  });

  it.each([
    [{ session: 's', challenge: 'SMS_MFA' }, 'answers must be an object of strings'],
    [{ challenge: 'SMS_MFA', answers: {} }, 'session must be the session of the challenge'],
  ])('a bad body %p is 400', async (body, message) => {
    const res = await post('/auth/challenge', body);
    expect(res.status).toBe(400);
    expect(res.body.message).toBe(message);
  });

  it('an answer the challenge does not take is 400 naming it', async () => {
    const c = await login(user({ mfa: ['SMS_MFA'] }));
    const res = await answer(c.session, 'SMS_MFA', { SMS_MFA_CODE: '123456', NEW_PASSWORD: 'x' });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('answers.NEW_PASSWORD is not an answer to SMS_MFA');
  });

  it('the challenge body carries no SRP value, internal user id or Cognito session', async () => {
    const c = await login(user({ mfa: ['SMS_MFA'] }), PASSWORD, true);
    expect(Object.keys(c).sort()).toEqual(['challenge', 'parameters', 'session', 'status']);
    expect(Object.keys(c.parameters).sort()).toEqual(['CODE_DELIVERY_DELIVERY_MEDIUM', 'CODE_DELIVERY_DESTINATION']);
  });
});
