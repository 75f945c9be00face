import { jest } from '@jest/globals';
import { JwtValidationService } from '../../../src/index.js';
import { TestIdentityProvider, type IssuedTokens } from '../../../src/testing/index.js';
import { findLeaks } from '../../support/capture-logger.js';
import { closedPort, describeTransports, type RpcApp, startRpcApp, waitUntil } from '../../support/rpc-app.js';

/** Headers with the pair, named as a non-HTTP client might spell them. */
const pairHeaders = (t: IssuedTokens): Record<string, string> => ({ Authorization: `Bearer ${t.accessToken}`, IdToken: t.idToken });

describe('CognitoGuard on microservice messages over a real broker', () => {
  let idp: TestIdentityProvider;
  /** Every token a test sent and every error a client received, checked for leaks at the end. */
  const sent: string[] = [];
  const received: string[] = [];
  const issue = async (options?: Parameters<TestIdentityProvider['issueTokens']>[0]): Promise<IssuedTokens> => {
    const tokens = await idp.issueTokens(options);
    sent.push(tokens.accessToken, tokens.idToken, tokens.refreshToken);
    return tokens;
  };
  const refused = async (t: RpcApp, ...args: Parameters<RpcApp['sendError']>): Promise<unknown> => {
    const error = await t.sendError(...args);
    received.push(JSON.stringify(error));
    return error;
  };

  beforeAll(async () => {
    idp = await TestIdentityProvider.start({ clients: [{ clientId: 'client-rpc' }] });
  });
  afterAll(async () => {
    await idp?.close();
  });

  describeTransports(['nats', 'rmq'], 'message headers', (transport) => {
    let t: RpcApp;
    beforeAll(async () => {
      t = await startRpcApp(transport, idp.moduleOptions());
    });
    afterAll(() => t?.close());

    it('a valid pair in the headers (any case): the handler gets @CurrentUser()', async () => {
      const tokens = await issue({ sub: 'rpc-1', email: 'rpc1@example.test', groups: ['staff'] });
      const user = await t.send('me', {}, { headers: pairHeaders(tokens) });
      expect(user).toMatchObject({ kind: 'user', sub: 'rpc-1', username: 'rpc-1', clientId: 'client-rpc', groups: ['staff'] });
      const seed = await t.send('me', {}, { headers: { ACCESSTOKEN: tokens.accessToken, idtoken: tokens.idToken } });
      expect(seed).toMatchObject({ sub: 'rpc-1' });
    });

    it('the payload reaches the handler untouched beside the caller', async () => {
      const tokens = await issue({ sub: 'rpc-echo' });
      expect(await t.send('echo', { n: 7 }, { headers: pairHeaders(tokens) })).toEqual({ sub: 'rpc-echo', data: { n: 7 } });
    });

    it('no token: RpcException { status: 401, code: token_missing }', async () => {
      expect(await refused(t, 'me')).toEqual({ status: 401, code: 'token_missing', message: 'Authentication token missing' });
      expect(await refused(t, 'me', {}, { headers: { Authorization: '  ', other: 'x' } })).toMatchObject({ code: 'token_missing' });
    });

    it('one of the two tokens: token_missing naming the other', async () => {
      const tokens = await issue();
      expect(await refused(t, 'me', {}, { headers: { accesstoken: tokens.accessToken } })).toEqual({
        status: 401,
        code: 'token_missing',
        message: 'Missing ID token',
      });
    });

    it('a bad token: token_invalid', async () => {
      const tokens = await issue();
      const forged = `${tokens.accessToken.slice(0, -4)}AAAA`;
      const attempts: Record<string, string>[] = [
        { authorization: `Bearer ${forged}`, idtoken: tokens.idToken },
        { accesstoken: 'x.y.z', idtoken: tokens.idToken },
      ];
      for (const headers of attempts) {
        expect(await refused(t, 'me', {}, { headers })).toEqual({ status: 401, code: 'token_invalid', message: expect.any(String) });
      }
    });

    it('an expired pair sent with its refresh token: token_expired, never refreshed over a message', async () => {
      const tokens = await issue({ now: Math.floor(Date.now() / 1000) - 7200, expiresInSeconds: 3600 });
      idp.resetStats();
      const headers = { ...pairHeaders(tokens), refreshtoken: tokens.refreshToken };
      expect(await refused(t, 'me', {}, { headers })).toEqual({ status: 401, code: 'token_expired', message: expect.any(String) });
      expect(idp.stats.initiateAuth + idp.stats.getTokensFromRefreshToken).toBe(0);
    });

    it('a token of the wrong use (the ID token as the access token): token_invalid', async () => {
      const tokens = await issue();
      const headers = { Authorization: `Bearer ${tokens.idToken}`, idtoken: tokens.idToken };
      expect(await refused(t, 'me', {}, { headers })).toEqual({ status: 401, code: 'token_invalid', message: expect.any(String) });
    });

    it('@Groups: answered in the group, 403 forbidden_group otherwise', async () => {
      const admin = await issue({ groups: ['admin'] });
      const staff = await issue({ groups: ['staff'] });
      expect(await t.send('admin', {}, { headers: pairHeaders(admin) })).toEqual({ ok: true });
      expect(await refused(t, 'admin', {}, { headers: pairHeaders(staff) })).toEqual({
        status: 403,
        code: 'forbidden_group',
        message: expect.any(String),
      });
    });

    it('@Public(): anonymous without a token or with a bad one, the caller with a valid one', async () => {
      const tokens = await issue({ sub: 'rpc-pub' });
      expect(await t.send('open')).toEqual({ user: null });
      expect(await t.send('open', {}, { headers: { accesstoken: 'x.y.z', idtoken: tokens.idToken } })).toEqual({ user: null });
      expect(await t.send('open', {}, { headers: pairHeaders(tokens) })).toEqual({ user: 'rpc-pub' });
    });

    it('the global guard and @UseGuards(CognitoGuard) on one message verify once', async () => {
      const tokens = await issue({ sub: 'rpc-twice' });
      const spy = jest.spyOn(t.app.get(JwtValidationService), 'check');
      try {
        expect(await t.send('guarded', {}, { headers: pairHeaders(tokens) })).toEqual({ sub: 'rpc-twice' });
        expect(spy.mock.calls.filter(([, use]) => use === 'access')).toHaveLength(1);
      } finally {
        spy.mockRestore();
      }
    });

    it('each message is authenticated on its own: a valid message does not open the next one', async () => {
      const tokens = await issue({ sub: 'rpc-each' });
      expect(await t.send('me', {}, { headers: pairHeaders(tokens) })).toMatchObject({ sub: 'rpc-each' });
      expect(await refused(t, 'me')).toMatchObject({ code: 'token_missing' });
    });

    it('@EventPattern: a refused event never reaches its handler (Nest logs the refusal), a valid one does', async () => {
      const tokens = await issue({ sub: 'rpc-event' });
      const refusals = (): number => t.logger.lines.filter((line) => line.includes('Authentication token missing')).length;
      const before = refusals();
      await t.emit('event', { n: 1 });
      await waitUntil(() => refusals() > before, 'the refused event to be logged');
      await t.emit('event', { n: 2 }, { headers: pairHeaders(tokens) });
      await waitUntil(() => t.events.length > 0, 'the valid event');
      expect(t.events).toEqual([{ n: 2, sub: 'rpc-event' }]);
    });

    it('no token, or any part of one, in an error a client received or a log line', () => {
      expect(received.length).toBeGreaterThan(5);
      expect(findLeaks([...received, ...t.logger.lines], sent)).toEqual([]);
    });
  });

  describeTransports(['nats', 'rmq'], 'JWKS unreachable', (transport) => {
    it('503 auth_unavailable, and no token in the error or the log', async () => {
      const t = await startRpcApp(transport, { ...idp.moduleOptions(), jwksUri: `http://127.0.0.1:${await closedPort()}/jwks.json` });
      try {
        const tokens = await issue();
        const error = await refused(t, 'me', {}, { headers: pairHeaders(tokens) });
        expect(error).toEqual({ status: 503, code: 'auth_unavailable', message: expect.any(String) });
        expect(findLeaks([JSON.stringify(error), ...t.logger.lines], sent)).toEqual([]);
      } finally {
        await t.close();
      }
    });
  });

  describeTransports(['tcp', 'redis'], 'payload auth member (transports without headers)', (transport) => {
    let t: RpcApp;
    beforeAll(async () => {
      t = await startRpcApp(transport, idp.moduleOptions());
    });
    afterAll(() => t?.close());

    it('auth = { accessToken, idToken } in the payload authenticates the message', async () => {
      const tokens = await issue({ sub: `${transport}-1` });
      const user = await t.send('me', { n: 1 }, { auth: { accessToken: tokens.accessToken, idToken: tokens.idToken } });
      expect(user).toMatchObject({ kind: 'user', sub: `${transport}-1` });
      expect(await t.send('open', {}, { auth: { accessToken: tokens.accessToken, idToken: tokens.idToken } })).toEqual({
        user: `${transport}-1`,
      });
    });

    it('packet metadata (NestJS 12) is read like headers, in any case, before the payload', async () => {
      const tokens = await issue({ sub: `${transport}-meta` });
      const other = await issue({ sub: `${transport}-payload` });
      const metadata = { Authorization: `Bearer ${tokens.accessToken}`, IDTOKEN: tokens.idToken };
      expect(await t.send('me', {}, { metadata })).toMatchObject({ sub: `${transport}-meta` });
      const auth = { accessToken: other.accessToken, idToken: other.idToken };
      expect(await t.send('me', {}, { metadata, auth })).toMatchObject({ sub: `${transport}-meta` });
      expect(await refused(t, 'me', {}, { metadata: { accesstoken: tokens.accessToken } })).toMatchObject({ code: 'token_missing' });
    });

    it('no auth member is token_missing, a bad one token_invalid, an expired one token_expired', async () => {
      const expired = await issue({ now: Math.floor(Date.now() / 1000) - 7200, expiresInSeconds: 3600 });
      expect(await refused(t, 'me', { n: 1 })).toEqual({ status: 401, code: 'token_missing', message: 'Authentication token missing' });
      expect(await refused(t, 'me', { auth: { accessToken: 'x.y.z', idToken: expired.idToken } })).toMatchObject({ code: 'token_invalid' });
      const auth = { accessToken: expired.accessToken, idToken: expired.idToken, refreshToken: expired.refreshToken };
      expect(await refused(t, 'me', {}, { auth })).toEqual({ status: 401, code: 'token_expired', message: expect.any(String) });
    });

    it('no token in an error a client received or a log line', () => {
      expect(findLeaks([...received, ...t.logger.lines], sent)).toEqual([]);
    });
  });
});
