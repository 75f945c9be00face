import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import request from 'supertest';
import { type CognitoAuthForRootOptions, CognitoGuard, Public } from '../../../src/index.js';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { createTestApp, seedHeaders, type TestApp } from '../../support/test-app.js';

/** Handlers of a transport the library has no adapter for. */
class CustomTransportHandlers {
  @Public()
  open(): void {}

  closed(): void {}
}

/** An execution context of type `type` (a custom transport's), for one of the handlers above. */
function customContext(type: string, handler: 'open' | 'closed'): ExecutionContextHost {
  const context = new ExecutionContextHost(
    [{ pattern: 'orders.created', data: {} }, {}],
    CustomTransportHandlers,
    CustomTransportHandlers.prototype[handler],
  );
  context.setType(type);
  return context;
}

/**
 * Closed by default: an execution context type the guard has no adapter for is refused (401
 * `token_missing`) unless the handler is `@Public()` or the type is named in `passThroughContexts`.
 * The HTTP platform plays no part here: the guard is called with the context directly. A type the
 * guard knows and `passThroughContexts` names is let through as `@Public()` routes are (RPC:
 * test/e2e/rpc/rpc-pass-through.e2e.spec.ts).
 */
describe('the guard refuses an execution context type it does not know', () => {
  let idp: TestIdentityProvider;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
  });
  afterAll(async () => {
    await idp?.close();
  });

  async function withApp(options: Partial<CognitoAuthForRootOptions>, run: (t: TestApp) => Promise<void>): Promise<void> {
    const t = await createTestApp({ ...idp.moduleOptions(), ...options });
    try {
      await run(t);
    } finally {
      await t.close();
    }
  }

  it('an unknown context type is refused with token_missing', async () => {
    await withApp({}, async (t) => {
      const guard = t.app.get(CognitoGuard);
      await expect(guard.canActivate(customContext('kafka-custom', 'closed'))).rejects.toMatchObject({ code: 'token_missing' });
      await expect(guard.canActivate(customContext('kafka-custom', 'closed'))).rejects.toMatchObject({ status: 401 });
    });
  });

  it('a @Public() handler of an unknown context type passes', async () => {
    await withApp({}, async (t) => {
      await expect(t.app.get(CognitoGuard).canActivate(customContext('kafka-custom', 'open'))).resolves.toBe(true);
    });
  });

  it('passThroughContexts lets the named type through, and only it', async () => {
    await withApp({ passThroughContexts: ['kafka-custom'] }, async (t) => {
      const guard = t.app.get(CognitoGuard);
      await expect(guard.canActivate(customContext('kafka-custom', 'closed'))).resolves.toBe(true);
      await expect(guard.canActivate(customContext('kafka-other', 'closed'))).rejects.toMatchObject({ code: 'token_missing' });
      // Known contexts are not affected: HTTP still needs a token.
      const res = await request(t.server).get('/t/me');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_missing');
    });
  });

  it('passThroughContexts naming a known type (http) lets its routes through as @Public() ones: a valid token still gives the caller', async () => {
    await withApp({ passThroughContexts: ['http'] }, async (t) => {
      const anonymous = await request(t.server).get('/t/email');
      expect({ status: anonymous.status, body: anonymous.body }).toEqual({ status: 200, body: { email: null } });
      const tokens = await idp.issueTokens({ sub: 'pass-http', email: 'pass-http@example.test' });
      const known = await request(t.server).get('/t/email').set(seedHeaders(tokens));
      expect({ status: known.status, body: known.body }).toEqual({ status: 200, body: { email: 'pass-http@example.test' } });
      const bad = await request(t.server)
        .get('/t/email')
        .set(seedHeaders({ accessToken: 'x.y.z', idToken: tokens.idToken }));
      expect({ status: bad.status, body: bad.body }).toEqual({ status: 200, body: { email: null } });
      expect((await request(t.server).get('/t/admin')).status).toBe(200);
      // Another type stays closed.
      await expect(t.app.get(CognitoGuard).canActivate(customContext('kafka-custom', 'closed'))).rejects.toMatchObject({
        code: 'token_missing',
      });
    });
  });
});
