import request from 'supertest';
import { TestIdentityProvider, type IssuedTokens } from '../../../src/testing/index.js';
import { describeTransports, type RpcApp, type RpcCall, type RpcTransport, startRpcApp, waitUntil } from '../../support/rpc-app.js';
import { seedHeaders } from '../../support/test-app.js';

/** The pair as the transport carries it: message headers (NATS), else the payload's `auth` member (TCP). */
function carrying(transport: RpcTransport, tokens: { accessToken: string; idToken: string }): RpcCall {
  return transport === 'nats'
    ? { headers: { authorization: `Bearer ${tokens.accessToken}`, idtoken: tokens.idToken } }
    : { auth: { accessToken: tokens.accessToken, idToken: tokens.idToken } };
}

/**
 * `passThroughContexts: ['rpc']` on an app that is both an HTTP server and a microservice (one
 * module, one global guard): every message handler is let through as a `@Public()` one would be
 * (tokens that are present are still verified and give `@CurrentUser()`), while the app's HTTP
 * routes still need a token.
 */
describe('passThroughContexts names a context type the library knows (rpc)', () => {
  let idp: TestIdentityProvider;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start({ clients: [{ clientId: 'client-pass' }] });
  });
  afterAll(async () => {
    await idp?.close();
  });

  describeTransports(['nats', 'tcp'], 'a hybrid HTTP + microservice app', (transport) => {
    let t: RpcApp;
    let tokens: IssuedTokens;

    beforeAll(async () => {
      t = await startRpcApp(transport, { ...idp.moduleOptions(), passThroughContexts: ['rpc'] }, { http: true });
      tokens = await idp.issueTokens({ sub: `pass-${transport}`, groups: ['staff'] });
    });
    afterAll(() => t?.close());

    it('a message with no token reaches its handler, with no caller', async () => {
      expect(await t.send('echo', { n: 1 })).toEqual({ sub: null, data: { n: 1 } });
      await t.emit('event', { n: 2 });
      await waitUntil(() => t.events.some((e) => e.n === 2), 'the event to reach its handler');
      expect(t.events.find((e) => e.n === 2)).toEqual({ n: 2, sub: null });
    });

    it('a message with a valid pair: @CurrentUser() is the caller', async () => {
      expect(await t.send('me', {}, carrying(transport, tokens))).toMatchObject({
        kind: 'user',
        sub: `pass-${transport}`,
        groups: ['staff'],
      });
      expect(await t.send('echo', { n: 3 }, carrying(transport, tokens))).toMatchObject({ sub: `pass-${transport}`, data: { n: 3 } });
    });

    it('a message with a bad token is not refused: it reaches its handler with no caller', async () => {
      const forged = `${tokens.accessToken.slice(0, -4)}AAAA`;
      expect(await t.send('echo', { n: 4 }, carrying(transport, { accessToken: forged, idToken: tokens.idToken }))).toMatchObject({
        sub: null,
        data: { n: 4 },
      });
    });

    it("as on a @Public() handler, the handler's own rules (@Groups('admin')) refuse nothing", async () => {
      expect(await t.send('admin')).toEqual({ ok: true });
      expect(await t.send('admin', {}, carrying(transport, tokens))).toEqual({ ok: true });
    });

    it('control: without passThroughContexts the same app refuses that message (the global guard runs on it)', async () => {
      const closed = await startRpcApp(transport, idp.moduleOptions(), { http: true });
      try {
        expect(await closed.sendError('echo', { n: 5 })).toEqual({ status: 401, code: 'token_missing', message: expect.any(String) });
      } finally {
        await closed.close();
      }
    });

    it('the HTTP routes of the same app still need a token', async () => {
      const refused = await request(t.httpServer!).get('/t/me');
      expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 401, code: 'token_missing' });
      const answered = await request(t.httpServer!).get('/t/me').set(seedHeaders(tokens));
      expect({ status: answered.status, sub: answered.body.sub }).toEqual({ status: 200, sub: `pass-${transport}` });
    });
  });
});
