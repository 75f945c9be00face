import { createHash, createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CognitoIdentityProviderClient,
  GetTokensFromRefreshTokenCommand,
  InitiateAuthCommand,
  RevokeTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { TestIdentityProvider } from '../../../src/testing/index.js';

const CREDENTIALS = { accessKeyId: 'x', secretAccessKey: 'x' };

function sdkClient(idp: TestIdentityProvider, maxAttempts = 3): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    region: idp.region,
    endpoint: idp.endpoint,
    credentials: CREDENTIALS,
    maxAttempts,
  });
}

function secretHash(secret: string, username: string, clientId: string): string {
  return createHmac('sha256', secret)
    .update(username + clientId)
    .digest('base64');
}

async function verify(idp: TestIdentityProvider, token: string): Promise<JWTPayload> {
  const jwks = createRemoteJWKSet(new URL(idp.jwksUri));
  const { payload } = await jwtVerify(token, jwks, { issuer: idp.issuer, algorithms: ['RS256'] });
  return payload;
}

async function errorOf(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('TestIdentityProvider', () => {
  let idp: TestIdentityProvider;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start({
      clients: [{ clientId: 'public-client' }, { clientId: 'secret-client', clientSecret: 's3cr3t' }],
    });
  });
  afterAll(() => idp.close());
  afterEach(async () => {
    idp.jwks.mode = 'ok';
    idp.jwks.delayMs = 0;
    idp.refresh.mode = 'ok';
    idp.refresh.delayMs = 0;
    idp.refresh.issueAs = undefined;
    idp.resetStats();
  });

  describe('settings', () => {
    it('exposes issuer, JWKS URI and endpoint on the ephemeral port', () => {
      expect(idp.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(idp.issuer).toBe(`${idp.endpoint}/local_TestPool1`);
      expect(idp.jwksUri).toBe(`${idp.issuer}/.well-known/jwks.json`);
      expect(idp.clientIds).toEqual(['public-client', 'secret-client']);
    });

    it('gives module options and environment variables', () => {
      expect(idp.moduleOptions()).toEqual({
        userPoolId: 'local_TestPool1',
        clientId: ['public-client', 'secret-client'],
        clientSecret: { 'secret-client': 's3cr3t' },
        region: 'us-east-1',
        endpoint: idp.endpoint,
        issuer: idp.issuer,
        jwksUri: idp.jwksUri,
      });
      expect(idp.env()).toEqual({
        COGNITO_POOL_ID: 'local_TestPool1',
        APP_CLIENT_ID: 'public-client,secret-client',
        COGNITO_REGION: 'us-east-1',
        COGNITO_ENDPOINT: idp.endpoint,
        COGNITO_ISSUER: idp.issuer,
        COGNITO_JWKS_URI: idp.jwksUri,
      });
    });

    it('rejects a malformed pool id', async () => {
      await expect(TestIdentityProvider.start({ userPoolId: 'nounderscore' })).rejects.toThrow(/userPoolId/);
    });
  });

  describe('tokens', () => {
    it('issues Cognito-shaped tokens that verify against the served JWKS', async () => {
      const t = await idp.issueTokens({ username: 'alice', groups: ['admin'] });
      const access = await verify(idp, t.accessToken);
      const id = await verify(idp, t.idToken);

      expect(access).toMatchObject({
        sub: t.sub,
        iss: idp.issuer,
        client_id: 'public-client',
        token_use: 'access',
        scope: 'aws.cognito.signin.user.admin',
        username: 'alice',
        'cognito:groups': ['admin'],
      });
      expect(access.aud).toBeUndefined();
      expect(id).toMatchObject({
        sub: t.sub,
        iss: idp.issuer,
        aud: 'public-client',
        token_use: 'id',
        'cognito:username': 'alice',
        email: 'alice@example.test',
        email_verified: true,
        'cognito:groups': ['admin'],
      });
      for (const p of [access, id]) {
        expect(typeof p.jti).toBe('string');
        expect(p.exp).toBe((p.iat ?? 0) + 3600);
        expect(p['auth_time']).toBe(p.iat);
      }
      expect(id['origin_jti']).toBe(access['origin_jti']);
      expect(id['event_id']).toBe(access['event_id']);
      const expectedAtHash = createHash('sha256').update(t.accessToken, 'ascii').digest().subarray(0, 16);
      expect(id['at_hash']).toBe(expectedAtHash.toString('base64url'));
      expect(decodeProtectedHeader(t.accessToken)).toEqual({ alg: 'RS256', kid: idp.currentKey.kid });
      expect(t.refreshToken).toMatch(/^[\w-]{60,}$/);
    });

    it('defaults username to sub, honours scopes, email null, claim overrides and expiry', async () => {
      const now = 1_700_000_000;
      const t = await idp.issueTokens({
        email: null,
        scopes: ['notes/read', 'notes/write'],
        clientId: 'secret-client',
        now,
        expiresInSeconds: -120,
        idClaims: { 'custom:tenant': 't1', auth_time: undefined },
        accessClaims: { scope: 'x', jti: undefined },
      });
      const access = decodePayload(t.accessToken);
      const id = decodePayload(t.idToken);
      expect(t.username).toBe(t.sub);
      expect(access).toMatchObject({ scope: 'x', client_id: 'secret-client', exp: now - 120, iat: now - 120 - 3600 });
      expect(access).not.toHaveProperty('jti');
      expect(id).toMatchObject({ 'custom:tenant': 't1', aud: 'secret-client', 'cognito:username': t.sub });
      expect(id).not.toHaveProperty('email');
      expect(id).not.toHaveProperty('email_verified');
      expect(id).not.toHaveProperty('auth_time');
      await expect(verify(idp, t.accessToken)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
    });

    it('signs raw payloads with header overrides', async () => {
      const noKid = await idp.signToken({ sub: 'x' }, { header: { kid: undefined, crit: ['b64'], typ: 'JWT' } });
      expect(decodeProtectedHeader(noKid)).toEqual({ alg: 'RS256', crit: ['b64'], typ: 'JWT' });
      const none = await idp.signToken({ sub: 'x' }, { header: { alg: 'none' } });
      expect(decodeProtectedHeader(none).alg).toBe('none');
      expect(decodePayload(none)).toEqual({ sub: 'x' });
    });
  });

  describe('keys', () => {
    it('rotates, keeping the old key published unless dropped', async () => {
      const before = await idp.issueTokens();
      const oldKid = idp.currentKey.kid;
      const next = await idp.rotateKey();
      expect(idp.currentKey).toBe(next);
      const after = await idp.issueTokens();
      expect(decodeProtectedHeader(after.idToken).kid).toBe(next.kid);
      await expect(verify(idp, before.idToken)).resolves.toBeDefined();
      await expect(verify(idp, after.idToken)).resolves.toBeDefined();

      await idp.rotateKey({ dropOld: true });
      const kids = ((await (await fetch(idp.jwksUri)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
      expect(kids).toContain(oldKid);
      expect(kids).not.toContain(next.kid);
      expect(kids).toContain(idp.currentKey.kid);
    });

    it('signs with an unpublished key, which does not verify until published', async () => {
      const rogue = await idp.createKey('rogue');
      const t = await idp.issueTokens({ key: rogue });
      expect(decodeProtectedHeader(t.accessToken).kid).toBe('rogue');
      await expect(verify(idp, t.accessToken)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
      idp.publishKey(rogue);
      await expect(verify(idp, t.accessToken)).resolves.toBeDefined();
      expect(idp.unpublishKey('rogue')).toBe(true);
    });
  });

  describe('JWKS endpoint modes', () => {
    it('counts requests', async () => {
      await fetch(idp.jwksUri);
      await fetch(idp.jwksUri);
      await fetch(`${idp.endpoint}/nope`);
      expect(idp.stats).toMatchObject({ jwksRequests: 2, requests: 3 });
      idp.resetStats();
      expect(idp.stats.requests).toBe(0);
    });

    it('fail answers the configured status', async () => {
      idp.jwks.mode = 'fail';
      expect((await fetch(idp.jwksUri)).status).toBe(500);
      idp.jwks.failStatus = 503;
      expect((await fetch(idp.jwksUri)).status).toBe(503);
      idp.jwks.failStatus = 500;
    });

    it('hang never answers', async () => {
      idp.jwks.mode = 'hang';
      await expect(fetch(idp.jwksUri, { signal: AbortSignal.timeout(300) })).rejects.toMatchObject({
        name: 'TimeoutError',
      });
    });

    it('delayMs delays the answer', async () => {
      idp.jwks.delayMs = 200;
      const started = Date.now();
      expect((await fetch(idp.jwksUri)).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    });

    it('invalid-json sends a broken body', async () => {
      idp.jwks.mode = 'invalid-json';
      const res = await fetch(idp.jwksUri);
      expect(res.status).toBe(200);
      await expect(res.json()).rejects.toMatchObject({ name: 'SyntaxError' });
    });

    it('huge sends a 5 MB body', async () => {
      idp.jwks.mode = 'huge';
      const body = await (await fetch(idp.jwksUri)).text();
      expect(body.length).toBeGreaterThanOrEqual(5 * 1024 * 1024 - 64);
      expect((JSON.parse(body) as { keys: unknown[] }).keys.length).toBeGreaterThan(0);
    });

    it('wrong-key-type publishes EC and oct keys under the kids', async () => {
      const t = await idp.issueTokens();
      idp.jwks.mode = 'wrong-key-type';
      const { keys } = (await (await fetch(idp.jwksUri)).json()) as { keys: { kty: string; kid: string }[] };
      expect(new Set(keys.map((k) => k.kty))).toEqual(new Set(['EC', 'oct']));
      expect(keys.some((k) => k.kid === idp.currentKey.kid)).toBe(true);
      await expect(verify(idp, t.accessToken)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    });

    it('redirect answers 302 to a path serving the keys', async () => {
      idp.jwks.mode = 'redirect';
      const res = await fetch(idp.jwksUri, { redirect: 'manual' });
      expect(res.status).toBe(302);
      const location = res.headers.get('location') ?? '';
      expect(location).not.toBe(idp.jwksUri);
      const followed = (await (await fetch(location)).json()) as { keys: unknown[] };
      expect(followed.keys.length).toBeGreaterThan(0);
    });
  });

  describe('Cognito API through the real AWS SDK v3 client', () => {
    it('InitiateAuth REFRESH_TOKEN_AUTH mints a fresh pair for the same user (no credentials needed)', async () => {
      const t = await idp.issueTokens({ username: 'bob', groups: ['g'] });
      const client = new CognitoIdentityProviderClient({ region: idp.region, endpoint: idp.endpoint });
      const out = await client.send(
        new InitiateAuthCommand({
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          ClientId: 'public-client',
          AuthParameters: { REFRESH_TOKEN: t.refreshToken },
        }),
      );
      const result = out.AuthenticationResult;
      expect(result?.TokenType).toBe('Bearer');
      expect(result?.ExpiresIn).toBe(3600);
      expect(result?.RefreshToken).toBeUndefined();
      const access = await verify(idp, result?.AccessToken ?? '');
      const id = await verify(idp, result?.IdToken ?? '');
      expect(access).toMatchObject({ sub: t.sub, username: 'bob', client_id: 'public-client', 'cognito:groups': ['g'] });
      expect(id).toMatchObject({ sub: t.sub, aud: 'public-client', token_use: 'id' });
      expect(result?.AccessToken).not.toBe(t.accessToken);
      expect(idp.stats.initiateAuth).toBe(1);
      client.destroy();
    });

    it('checks SECRET_HASH for a client with a secret', async () => {
      const t = await idp.issueTokens({ username: 'carol', clientId: 'secret-client' });
      const client = sdkClient(idp);
      const refresh = (hash?: string) =>
        client.send(
          new InitiateAuthCommand({
            AuthFlow: 'REFRESH_TOKEN_AUTH',
            ClientId: 'secret-client',
            AuthParameters: { REFRESH_TOKEN: t.refreshToken, ...(hash ? { SECRET_HASH: hash } : {}) },
          }),
        );
      const ok = await refresh(secretHash('s3cr3t', 'carol', 'secret-client'));
      expect((await verify(idp, ok.AuthenticationResult?.IdToken ?? '')).sub).toBe(t.sub);

      const wrong = await errorOf(refresh(secretHash('wrong', 'carol', 'secret-client')));
      expect(wrong.name).toBe('NotAuthorizedException');
      expect(wrong.message).toMatch(/Unable to verify secret hash/);
      expect(wrong.$metadata?.httpStatusCode).toBe(400);
      expect((await errorOf(refresh())).name).toBe('NotAuthorizedException');
      client.destroy();
    });

    it('refuses unknown refresh tokens, other clients and unknown clients', async () => {
      const t = await idp.issueTokens({ clientId: 'public-client' });
      const client = sdkClient(idp);
      const refresh = (clientId: string, token: string) =>
        client.send(
          new InitiateAuthCommand({
            AuthFlow: 'REFRESH_TOKEN_AUTH',
            ClientId: clientId,
            AuthParameters: { REFRESH_TOKEN: token },
          }),
        );
      const unknown = await errorOf(refresh('public-client', 'nope'));
      expect(unknown.name).toBe('NotAuthorizedException');
      expect(unknown.message).toBe('Invalid Refresh Token');
      expect((await errorOf(refresh('secret-client', t.refreshToken))).name).toBe('NotAuthorizedException');
      expect((await errorOf(refresh('ghost', t.refreshToken))).name).toBe('ResourceNotFoundException');
      client.destroy();
    });

    it('maps the refresh fault modes to SDK errors', async () => {
      const t = await idp.issueTokens();
      const client = sdkClient(idp, 1);
      const refresh = () =>
        client.send(
          new InitiateAuthCommand({
            AuthFlow: 'REFRESH_TOKEN_AUTH',
            ClientId: 'public-client',
            AuthParameters: { REFRESH_TOKEN: t.refreshToken },
          }),
        );
      idp.refresh.mode = 'throttle';
      expect((await errorOf(refresh())).name).toBe('TooManyRequestsException');
      idp.refresh.mode = 'error';
      const internal = await errorOf(refresh());
      expect(internal.name).toBe('InternalErrorException');
      expect(internal.$metadata?.httpStatusCode).toBe(500);
      idp.refresh.mode = 'not-authorized';
      expect((await errorOf(refresh())).name).toBe('NotAuthorizedException');
      idp.refresh.mode = 'malformed';
      expect(await errorOf(refresh())).toBeInstanceOf(Error);
      idp.refresh.mode = 'hang';
      const hung = await errorOf(
        client.send(
          new InitiateAuthCommand({
            AuthFlow: 'REFRESH_TOKEN_AUTH',
            ClientId: 'public-client',
            AuthParameters: { REFRESH_TOKEN: t.refreshToken },
          }),
          { abortSignal: AbortSignal.timeout(300) },
        ),
      );
      expect(hung.name).toMatch(/Abort|Timeout/);
      expect(idp.stats.initiateAuth).toBe(5);
      client.destroy();
    });

    it('issueAs lets a refresh return another user or key', async () => {
      const t = await idp.issueTokens();
      const other = await idp.createKey('other');
      idp.refresh.issueAs = (owner) => ({ sub: `${owner.sub}-evil`, key: other });
      const client = sdkClient(idp);
      const out = await client.send(
        new InitiateAuthCommand({
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          ClientId: 'public-client',
          AuthParameters: { REFRESH_TOKEN: t.refreshToken },
        }),
      );
      const access = out.AuthenticationResult?.AccessToken ?? '';
      expect(decodeProtectedHeader(access).kid).toBe('other');
      expect(decodePayload(access)).toMatchObject({ sub: `${t.sub}-evil`, username: t.username });
      client.destroy();
    });

    it('GetTokensFromRefreshToken rotates the refresh token', async () => {
      const t = await idp.issueTokens({ clientId: 'secret-client', username: 'dave' });
      const client = sdkClient(idp);
      const rotate = (token: string, secret?: string) =>
        client.send(new GetTokensFromRefreshTokenCommand({ RefreshToken: token, ClientId: 'secret-client', ClientSecret: secret }));
      expect((await errorOf(rotate(t.refreshToken))).name).toBe('NotAuthorizedException');
      expect((await errorOf(rotate(t.refreshToken, 'bad'))).name).toBe('NotAuthorizedException');
      const out = await rotate(t.refreshToken, 's3cr3t');
      const next = out.AuthenticationResult?.RefreshToken ?? '';
      expect(next).not.toBe('');
      expect(next).not.toBe(t.refreshToken);
      expect((await verify(idp, out.AuthenticationResult?.IdToken ?? '')).sub).toBe(t.sub);
      expect((await errorOf(rotate(t.refreshToken, 's3cr3t'))).name).toBe('NotAuthorizedException');
      await expect(rotate(next, 's3cr3t')).resolves.toBeDefined();
      expect(idp.stats.getTokensFromRefreshToken).toBe(5);
      client.destroy();
    });

    it('RevokeToken (and revoke()) stop the refresh token working', async () => {
      const client = sdkClient(idp);
      const refresh = (token: string) =>
        client.send(
          new InitiateAuthCommand({
            AuthFlow: 'REFRESH_TOKEN_AUTH',
            ClientId: 'public-client',
            AuthParameters: { REFRESH_TOKEN: token },
          }),
        );
      const t = await idp.issueTokens();
      await expect(refresh(t.refreshToken)).resolves.toBeDefined();
      await client.send(new RevokeTokenCommand({ Token: t.refreshToken, ClientId: 'public-client' }));
      expect(idp.stats.revokeToken).toBe(1);
      expect((await errorOf(refresh(t.refreshToken))).name).toBe('NotAuthorizedException');

      const u = await idp.issueTokens();
      expect(idp.revoke(u.refreshToken)).toBe(true);
      expect((await errorOf(refresh(u.refreshToken))).name).toBe('NotAuthorizedException');
      client.destroy();
    });
  });

  describe('raw protocol errors', () => {
    const post = (body: string, target = 'AWSCognitoIdentityProviderService.InitiateAuth') =>
      fetch(`${idp.endpoint}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
        body,
      });

    it('answers SerializationException to broken JSON', async () => {
      const res = await post('{not json');
      expect(res.status).toBe(400);
      expect(res.headers.get('x-amzn-errortype')).toBe('SerializationException');
      expect(await res.json()).toMatchObject({ __type: 'SerializationException' });
    });

    it('answers UnknownOperationException to other operations', async () => {
      const res = await post('{}', 'AWSCognitoIdentityProviderService.DeleteUserPool');
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ __type: 'UnknownOperationException' });
    });

    it('refuses bodies over 1 MB', async () => {
      const res = await post(JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 10) }));
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ __type: 'SerializationException' });
    });
  });

  it('close() ends hanging connections', async () => {
    const other = await TestIdentityProvider.start();
    other.jwks.mode = 'hang';
    const pending = fetch(other.jwksUri).then(
      () => 'answered',
      () => 'failed',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    await other.close();
    await expect(pending).resolves.toBe('failed');
    await other.close();
  });
});
