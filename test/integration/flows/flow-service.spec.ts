/**
 * CognitoAuthFlowService used directly, as an app's own controller would, and the test identity
 * provider's OAuth endpoints spoken to raw (PKCE, client_credentials).
 */
import { createHash, randomBytes } from 'node:crypto';
import { CognitoIdentityProviderClient, InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import {
  CodeMismatchError,
  InvalidCredentialsError,
  InvalidStateError,
  JwtValidationService,
  LimitExceededError,
  UsernameExistsError,
  isMachineToken,
} from '../../../src/index.js';
import { CognitoAuthFlowService } from '../../../src/flows/cognito-auth-flow.service.js';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import type { TestApp } from '../../support/test-app.js';
import { flowsApp, PASSWORD } from '../../e2e/flows/flows-app.js';

describe('CognitoAuthFlowService, used directly', () => {
  let idp: TestIdentityProvider;
  let t: TestApp;
  let flows: CognitoAuthFlowService;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start({ clients: [{ clientId: 'web', clientSecret: 'web-secret' }] });
    idp.flows.addUser({ username: 'alice', password: PASSWORD, mfa: ['SMS_MFA'] });
    t = await flowsApp(idp);
    flows = t.app.get(CognitoAuthFlowService);
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });
  beforeEach(() => {
    idp.flows.controls.mode = 'ok';
  });

  it('returns typed results: a challenge, then the signed-in user with its tokens', async () => {
    const first = await flows.login({ username: 'alice', password: PASSWORD, srp: true });
    expect(first.status).toBe('challenge');
    if (first.status !== 'challenge') return;
    const done = await flows.respondToChallenge({
      session: first.session,
      challenge: first.challenge,
      answers: { SMS_MFA_CODE: idp.flows.lastCode('alice', 'SMS_MFA')! },
    });
    expect(done).toMatchObject({ status: 'signed_in', user: { username: 'alice' }, tokens: { expiresIn: 3600 } });
  });

  it('throws typed errors an app can catch by class', async () => {
    await expect(flows.login({ username: 'alice', password: 'Wr0ng-Horse!' })).rejects.toBeInstanceOf(InvalidCredentialsError);
    await expect(flows.signUp({ username: 'alice', password: PASSWORD })).rejects.toBeInstanceOf(UsernameExistsError);
    await expect(flows.confirmSignUp({ username: 'alice', code: '000000' })).rejects.toBeInstanceOf(Error);
    await expect(
      flows.respondToChallenge({ session: 'forged', challenge: 'SMS_MFA', answers: { SMS_MFA_CODE: '123456' } }),
    ).rejects.toBeInstanceOf(InvalidStateError);
    idp.flows.controls.mode = 'throttle';
    await expect(flows.forgotPassword({ username: 'alice' })).rejects.toBeInstanceOf(LimitExceededError);
  });

  it('a wrong MFA code is CodeMismatchError', async () => {
    const first = await flows.login({ username: 'alice', password: PASSWORD });
    if (first.status !== 'challenge') throw new Error('expected a challenge');
    const code = idp.flows.lastCode('alice', 'SMS_MFA')!;
    await expect(
      flows.respondToChallenge({
        session: first.session,
        challenge: 'SMS_MFA',
        answers: { SMS_MFA_CODE: code === '000000' ? '111111' : '000000' },
      }),
    ).rejects.toBeInstanceOf(CodeMismatchError);
  });

  it('authorizeUrl without a hosted UI configured is a 404, not a crash', () => {
    expect(() => flows.authorizeUrl()).toThrow('The hosted UI is not configured');
    expect(flows.hostedUiEnabled).toBe(false);
  });
});

describe('test identity provider: OAuth endpoints and global sign-out', () => {
  let idp: TestIdentityProvider;
  beforeAll(async () => {
    idp = await TestIdentityProvider.start({ clients: [{ clientId: 'spa' }, { clientId: 'backend', clientSecret: 'backend-secret' }] });
    idp.flows.addUser({ username: 'alice', password: PASSWORD });
    idp.flows.oauth.controls.signInAs = 'alice';
  });
  afterAll(() => idp?.close());

  const token = (form: Record<string, string>, auth?: string) =>
    fetch(`${idp.endpoint}/oauth2/token`, {
      method: 'POST',
      body: new URLSearchParams(form),
      headers: auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {},
    });

  async function codeFor(challenge?: string): Promise<string> {
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: 'spa',
      redirect_uri: 'http://app.test/cb',
      state: 's',
      ...(challenge ? { code_challenge: challenge, code_challenge_method: 'S256' } : {}),
    });
    const res = await fetch(`${idp.endpoint}/oauth2/authorize?${q.toString()}`, { redirect: 'manual' });
    return new URL(res.headers.get('location')!).searchParams.get('code')!;
  }

  it('a code issued with a PKCE challenge needs its verifier: none or another is invalid_grant, the right one gets tokens once', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const code = await codeFor(createHash('sha256').update(verifier).digest('base64url'));
    const base = { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: 'http://app.test/cb' };
    expect(await (await token(base)).json()).toEqual({ error: 'invalid_grant' });
    expect(await (await token({ ...base, code_verifier: randomBytes(32).toString('base64url') })).json()).toEqual({
      error: 'invalid_grant',
    });
    const ok = await token({ ...base, code_verifier: verifier });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect((await token({ ...base, code_verifier: verifier })).status).toBe(400);
  });

  it("a redirect URI other than the authorize request's is invalid_grant", async () => {
    const code = await codeFor();
    expect(
      await (await token({ grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: 'http://evil.test/cb' })).json(),
    ).toEqual({ error: 'invalid_grant' });
  });

  it('authorize refuses the plain PKCE method and an unknown client', async () => {
    const plain = await fetch(
      `${idp.endpoint}/oauth2/authorize?response_type=code&client_id=spa&redirect_uri=http://app.test/cb&code_challenge=x&code_challenge_method=plain`,
      { redirect: 'manual' },
    );
    expect(new URL(plain.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
    expect(
      (
        await fetch(`${idp.endpoint}/oauth2/authorize?response_type=code&client_id=nope&redirect_uri=http://app.test/cb`, {
          redirect: 'manual',
        })
      ).status,
    ).toBe(400);
  });

  it('client_credentials: a secret client gets a machine access token (no username, sub = client id); a public one is refused', async () => {
    const res = await token({ grant_type: 'client_credentials', scope: 'notes/read' }, 'backend:backend-secret');
    expect(res.status).toBe(200);
    const { access_token: accessToken } = (await res.json()) as { access_token: string };
    const jwt = new JwtValidationService(
      (await import('../../../src/options/settings.resolver.js')).resolveCognitoSettings(idp.moduleOptions(), () => undefined),
    );
    const claims = await jwt.verifyAccessToken(accessToken);
    expect(claims).toMatchObject({ sub: 'backend', client_id: 'backend', scope: 'notes/read' });
    expect(isMachineToken({ access: claims })).toBe(true);
    jwt.onModuleDestroy();
    expect(await (await token({ grant_type: 'client_credentials' }, 'backend:wrong')).json()).toEqual({ error: 'invalid_client' });
    expect(await (await token({ grant_type: 'client_credentials', client_id: 'spa' })).json()).toEqual({ error: 'unauthorized_client' });
  });

  it("GlobalSignOut revokes the user's refresh tokens at the provider", async () => {
    const client = new CognitoIdentityProviderClient({
      endpoint: idp.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    try {
      const login = await client.send(
        new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: 'spa', AuthParameters: { USERNAME: 'alice', PASSWORD } }),
      );
      const { GlobalSignOutCommand } = await import('@aws-sdk/client-cognito-identity-provider');
      await client.send(new GlobalSignOutCommand({ AccessToken: login.AuthenticationResult!.AccessToken! }));
      await expect(
        client.send(
          new InitiateAuthCommand({
            AuthFlow: 'REFRESH_TOKEN_AUTH',
            ClientId: 'spa',
            AuthParameters: { REFRESH_TOKEN: login.AuthenticationResult!.RefreshToken! },
          }),
        ),
      ).rejects.toMatchObject({ name: 'NotAuthorizedException' });
      await expect(client.send(new GlobalSignOutCommand({ AccessToken: login.AuthenticationResult!.AccessToken! }))).rejects.toMatchObject({
        name: 'NotAuthorizedException',
      });
      const again = await client.send(
        new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: 'spa', AuthParameters: { USERNAME: 'alice', PASSWORD } }),
      );
      expect(again.AuthenticationResult?.AccessToken).toBeDefined();
    } finally {
      client.destroy();
    }
  });
});
