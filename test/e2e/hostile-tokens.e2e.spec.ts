import { createHmac, createPublicKey } from 'node:crypto';
import request from 'supertest';
import { TestIdentityProvider } from '../../src/testing/index.js';
import { findLeaks } from '../support/capture-logger.js';
import { createTestApp, HTTP_PLATFORMS, seedHeaders, type TestApp } from '../support/test-app.js';

/**
 * Every hostile token of issue 2 against a booted app over real HTTP, on Express and Fastify: each
 * must be answered 401 with the contract's code, never a 500, and no token fragment may reach a
 * body or a log line.
 */
describe.each(HTTP_PLATFORMS)('hostile tokens (id+access mode, ACCESSTOKEN / IDTOKEN headers, %s)', (platform) => {
  let idp: TestIdentityProvider;
  let t: TestApp;
  const sent: string[] = [];
  const bodies: string[] = [];
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    idp = await TestIdentityProvider.start({ clients: [{ clientId: 'client-a' }, { clientId: 'client-b' }] });
    t = await createTestApp(idp.moduleOptions(), {}, platform);
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  async function call(headers: Record<string, string>) {
    for (const v of Object.values(headers)) sent.push(v);
    const res = await request(t.server).get('/t/me').set(headers);
    bodies.push(res.text);
    return res;
  }

  async function expectRefused(headers: Record<string, string>, code: string, wwwError = 'invalid_token') {
    const res = await call(headers);
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code });
    expect(res.body).toEqual({ statusCode: 401, error: 'Unauthorized', code, message: expect.any(String) });
    expect(res.headers['www-authenticate']).toBe(`Bearer realm="cognito", error="${wwwError}"`);
    return res;
  }

  function b64(value: unknown): string {
    return Buffer.from(JSON.stringify(value)).toString('base64url');
  }

  function payloadOf(token: string): Record<string, unknown> {
    return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
  }

  it('accepts the valid pair (the control case)', async () => {
    const tokens = await idp.issueTokens({ sub: 'user-1' });
    const res = await call(seedHeaders(tokens));
    expect(res.status).toBe(200);
    expect(res.body.sub).toBe('user-1');
  });

  it('refuses alg "none" (with and without a signature)', async () => {
    const good = await idp.issueTokens();
    const header = b64({ alg: 'none', kid: idp.currentKey.kid });
    const unsigned = `${header}.${good.accessToken.split('.')[1]}.`;
    const faked = `${header}.${good.accessToken.split('.')[1]}.${good.accessToken.split('.')[2]}`;
    await expectRefused({ ACCESSTOKEN: unsigned, IDTOKEN: good.idToken }, 'token_invalid');
    await expectRefused({ ACCESSTOKEN: faked, IDTOKEN: good.idToken }, 'token_invalid');
  });

  it('refuses HS256 signed with the public key as the secret', async () => {
    const good = await idp.issueTokens();
    const pem = createPublicKey({ key: idp.currentKey.publicJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const signingInput = `${b64({ alg: 'HS256', kid: idp.currentKey.kid })}.${good.accessToken.split('.')[1]}`;
    const mac = createHmac('sha256', pem).update(signingInput).digest('base64url');
    await expectRefused({ ACCESSTOKEN: `${signingInput}.${mac}`, IDTOKEN: good.idToken }, 'token_invalid');
  });

  it('refuses a known kid signed by another key', async () => {
    const other = await idp.createKey();
    const forged = await idp.issueTokens({ key: other, header: { kid: idp.currentKey.kid } });
    await expectRefused(seedHeaders(forged), 'token_invalid');
  });

  it('refuses an unknown kid, a missing kid and a crit header', async () => {
    const other = await idp.createKey();
    await expectRefused(seedHeaders(await idp.issueTokens({ key: other })), 'token_invalid');
    await expectRefused(seedHeaders(await idp.issueTokens({ header: { kid: undefined } })), 'token_invalid');
    await expectRefused(seedHeaders(await idp.issueTokens({ header: { crit: ['exp'], exp: now() + 60 } })), 'token_invalid');
  });

  it('answers an expired pair without a refresh token with token_expired', async () => {
    await expectRefused(seedHeaders({ ...(await idp.issueTokens({ expiresInSeconds: -3600 })), refreshToken: undefined }), 'token_expired');
  });

  it('refuses nbf or iat in the future and a missing exp as token_invalid', async () => {
    const future = { nbf: now() + 3600 };
    await expectRefused(seedHeaders(await idp.issueTokens({ idClaims: future, accessClaims: future })), 'token_invalid');
    const iat = { iat: now() + 3600, exp: now() + 7200 };
    await expectRefused(seedHeaders(await idp.issueTokens({ idClaims: iat, accessClaims: iat })), 'token_invalid');
    const noExp = { exp: undefined };
    await expectRefused(seedHeaders(await idp.issueTokens({ idClaims: noExp, accessClaims: noExp })), 'token_invalid');
  });

  it('refuses claims of the wrong type', async () => {
    for (const claims of [{ exp: String(now() + 60) }, { iat: null }, { sub: 42 }, { 'cognito:groups': 'admin' }, { exp: 1e20 }]) {
      await expectRefused(seedHeaders(await idp.issueTokens({ idClaims: claims, accessClaims: claims })), 'token_invalid');
    }
  });

  it('refuses a wrong issuer and another pool', async () => {
    const wrong = { iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Evil' };
    await expectRefused(seedHeaders(await idp.issueTokens({ idClaims: wrong, accessClaims: wrong })), 'token_invalid');
    const otherPool = { iss: `${idp.endpoint}/local_OtherPool` };
    await expectRefused(seedHeaders(await idp.issueTokens({ idClaims: otherPool, accessClaims: otherPool })), 'token_invalid');
  });

  it('refuses another client', async () => {
    await expectRefused(seedHeaders(await idp.issueTokens({ clientId: 'client-zzz' })), 'token_invalid');
  });

  it('refuses an ID token in the access header and the reverse', async () => {
    const tokens = await idp.issueTokens();
    await expectRefused({ ACCESSTOKEN: tokens.idToken, IDTOKEN: tokens.accessToken }, 'token_invalid');
    await expectRefused({ ACCESSTOKEN: tokens.idToken, IDTOKEN: tokens.idToken }, 'token_invalid');
    await expectRefused({ ACCESSTOKEN: tokens.accessToken, IDTOKEN: tokens.accessToken }, 'token_invalid');
  });

  it('answers a pair of two users, of two clients, or with a wrong at_hash with token_mismatch', async () => {
    const alice = await idp.issueTokens({ sub: 'alice' });
    const bob = await idp.issueTokens({ sub: 'bob' });
    await expectRefused({ ACCESSTOKEN: alice.accessToken, IDTOKEN: bob.idToken }, 'token_mismatch');
    const viaA = await idp.issueTokens({ sub: 'carol', clientId: 'client-a' });
    const viaB = await idp.issueTokens({ sub: 'carol', clientId: 'client-b' });
    await expectRefused({ ACCESSTOKEN: viaA.accessToken, IDTOKEN: viaB.idToken }, 'token_mismatch');
    const sameUserOtherLogin = await idp.issueTokens({ sub: 'carol', clientId: 'client-a' });
    await expectRefused({ ACCESSTOKEN: sameUserOtherLogin.accessToken, IDTOKEN: viaA.idToken }, 'token_mismatch');
  });

  it('refuses a token over the length cap (9 KB, under the header limit) before decoding', async () => {
    const long = await idp.issueTokens({ accessClaims: { pad: 'x'.repeat(9000) } });
    expect(long.accessToken.length).toBeGreaterThan(8192);
    expect(long.accessToken.length).toBeLessThan(16 * 1024 - 1024);
    await expectRefused({ ACCESSTOKEN: long.accessToken, IDTOKEN: long.idToken }, 'token_invalid');
  });

  it("a header over Node's own limit: Node's 431, the app never sees it", async () => {
    const res = await request(t.server)
      .get('/t/me')
      .set({ ACCESSTOKEN: 'a'.repeat(20 * 1024), IDTOKEN: 'b' });
    expect(res.status).toBe(431);
  });

  it('refuses bad base64, wrong segment counts and a __proto__ member', async () => {
    const good = await idp.issueTokens();
    const [h, p, s] = good.accessToken.split('.');
    await expectRefused({ ACCESSTOKEN: `${h}.${p}*.${s}`, IDTOKEN: good.idToken }, 'token_invalid');
    await expectRefused({ ACCESSTOKEN: `${h}.${p}`, IDTOKEN: good.idToken }, 'token_invalid');
    await expectRefused({ ACCESSTOKEN: `${h}.${p}.${s}.${s}`, IDTOKEN: good.idToken }, 'token_invalid');
    await expectRefused({ ACCESSTOKEN: 'garbage', IDTOKEN: good.idToken }, 'token_invalid');
    // JSON.parse keeps "__proto__" as an own member, so the signed payload carries it for real.
    const proto = JSON.parse(JSON.stringify(payloadOf(good.accessToken)).replace(/^\{/, '{"__proto__":{"admin":true},')) as Record<
      string,
      unknown
    >;
    const protoToken = await idp.signToken(proto);
    expect(Buffer.from(protoToken.split('.')[1], 'base64url').toString()).toContain('"__proto__"');
    await expectRefused({ ACCESSTOKEN: protoToken, IDTOKEN: good.idToken }, 'token_invalid');
  });

  it('treats an empty or blank token as absent: token_missing naming it', async () => {
    const good = await idp.issueTokens();
    let res = await expectRefused({ ACCESSTOKEN: '', IDTOKEN: good.idToken }, 'token_missing', 'invalid_request');
    expect(res.body.message).toMatch(/access token/i);
    res = await expectRefused({ ACCESSTOKEN: good.accessToken, IDTOKEN: '   ' }, 'token_missing', 'invalid_request');
    expect(res.body.message).toMatch(/ID token/);
  });

  it('answers no token at all with a bare WWW-Authenticate challenge', async () => {
    const res = await request(t.server).get('/t/me');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_missing');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="cognito"');
  });

  it('leaked no token fragment into any response body or log line during the whole run', () => {
    expect(sent.length).toBeGreaterThan(30);
    expect(findLeaks(bodies, sent)).toEqual([]);
    expect(t.logger.lines.length).toBeGreaterThan(0);
    expect(findLeaks(t.logger.lines, sent)).toEqual([]);
  });
});
