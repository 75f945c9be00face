/**
 * The flows controller against cognito-local, for the flows it supports: USER_PASSWORD_AUTH, a wrong
 * password and an unknown user, SignUp (and a taken name), AdminConfirmSignUp then sign-in,
 * NEW_PASSWORD_REQUIRED for an admin-created user, logout with RevokeToken. (cognito-local has no
 * USER_SRP_AUTH, GlobalSignOut, MFA or hosted UI: those run against the test identity provider.)
 */
import { AdminConfirmSignUpCommand, AdminCreateUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import request from 'supertest';
import {
  adminClient,
  type CognitoLocal,
  type ProvisionedPool,
  provisionCognitoLocal,
  startCognitoLocal,
} from '../../support/cognito-local.js';
import { createTestApp, ProbeController, seedHeaders, type TestApp } from '../../support/test-app.js';
import { CognitoFlowsControllerModule } from '../../../src/flows/cognito-flows.module.js';
import { STATE_KEY } from '../../e2e/flows/flows-app.js';

const PASSWORD = 'Passw0rd!';

describe.each([false, true])('flows against cognito-local (client secret: %p)', (withSecret) => {
  let cl: CognitoLocal;
  let pool: ProvisionedPool;
  let t: TestApp;

  beforeAll(async () => {
    cl = await startCognitoLocal();
    pool = await provisionCognitoLocal(cl.endpoint, {
      withSecret,
      users: [{ username: 'alice', password: PASSWORD, email: 'alice@example.com', groups: ['admin'] }],
    });
    t = await createTestApp(
      {
        userPoolId: pool.userPoolId,
        clientId: pool.clientId,
        ...(pool.clientSecret ? { clientSecret: pool.clientSecret } : {}),
        endpoint: cl.endpoint,
        sharedState: { stateKey: STATE_KEY },
      },
      { imports: [CognitoFlowsControllerModule.register()], controllers: [ProbeController] },
    );
  });
  afterAll(async () => {
    await t?.close();
    await cl?.stop();
  });

  const post = (path: string, body: object) => request(t.server).post(path).send(body);

  it('USER_PASSWORD_AUTH signs in; the tokens pass the guard', async () => {
    const res = await post('/auth/login', { username: 'alice', password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'signed_in', user: { username: 'alice', groups: ['admin'] } });
    expect((await request(t.server).get('/t/me').set(seedHeaders(res.body))).status).toBe(200);
  });

  it('a wrong password and an unknown user are both 401 invalid_credentials, with one body', async () => {
    const wrong = await post('/auth/login', { username: 'alice', password: 'Wr0ngPass!' });
    const unknown = await post('/auth/login', { username: 'nobody', password: PASSWORD });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('invalid_credentials');
    expect(unknown.body).toEqual(wrong.body);
  });

  it('sign-up is 201; the user cannot sign in until confirmed; a taken name is 409', async () => {
    const res = await post('/auth/signup', { username: 'carol', password: PASSWORD, attributes: { email: 'carol@example.com' } });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('confirmation_required');
    expect((await post('/auth/login', { username: 'carol', password: PASSWORD })).body.code).toBe('user_not_confirmed');
    expect((await post('/auth/signup', { username: 'carol', password: PASSWORD })).status).toBe(409);
    const admin = adminClient(cl.endpoint);
    try {
      await admin.send(new AdminConfirmSignUpCommand({ UserPoolId: pool.userPoolId, Username: 'carol' }));
    } finally {
      admin.destroy();
    }
    expect((await post('/auth/login', { username: 'carol', password: PASSWORD })).body.status).toBe('signed_in');
  });

  it('an admin-created user answers NEW_PASSWORD_REQUIRED, then signs in with the new password', async () => {
    const admin = adminClient(cl.endpoint);
    try {
      await admin.send(
        new AdminCreateUserCommand({
          UserPoolId: pool.userPoolId,
          Username: 'dave',
          TemporaryPassword: 'Temp0rary!',
          MessageAction: 'SUPPRESS',
        }),
      );
    } finally {
      admin.destroy();
    }
    const c = await post('/auth/login', { username: 'dave', password: 'Temp0rary!' });
    expect(c.body).toMatchObject({ status: 'challenge', challenge: 'NEW_PASSWORD_REQUIRED' });
    const done = await post('/auth/challenge', {
      session: c.body.session,
      challenge: 'NEW_PASSWORD_REQUIRED',
      answers: { NEW_PASSWORD: 'N3wPassw0rd!' },
    });
    expect(done.status).toBe(200);
    expect(done.body.status).toBe('signed_in');
    expect((await post('/auth/login', { username: 'dave', password: 'N3wPassw0rd!' })).status).toBe(200);
  });

  it('logout revokes the refresh token at cognito-local (RevokeToken) and the tokens stop here', async () => {
    const tokens = (await post('/auth/login', { username: 'alice', password: PASSWORD })).body;
    expect((await request(t.server).post('/auth/logout').set(seedHeaders(tokens))).status).toBe(204);
    expect((await request(t.server).get('/t/me').set(seedHeaders(tokens))).body.code).toBe('token_revoked');
  });
});
