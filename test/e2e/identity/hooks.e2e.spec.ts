import { Controller, Get, type ExecutionContext } from '@nestjs/common';
import request from 'supertest';
import {
  CognitoClaims,
  CurrentUser,
  TokenUse,
  type CognitoValidateInfo,
  type ExtractedTokens,
  type VerifiedTokens,
} from '../../../src/index.js';
import { TestIdentityProvider, tokensFor } from '../../../src/testing/index.js';
import { createTestApp, GuardedController, HTTP_PLATFORMS, seedHeaders, type TestApp } from '../../support/test-app.js';
import { expectRefusal, rowsOf, sqliteUsers } from './identity-app.js';

@Controller('tenant')
class TenantController {
  @Get('report')
  report(@CurrentUser('sub') sub: string): { sub: string } {
    return { sub };
  }
}

@Controller('files')
class FilesController {
  @TokenUse('access')
  @Get('download')
  download(@CognitoClaims() claims: VerifiedTokens): { sub: string | null } {
    return { sub: claims.access?.sub ?? null };
  }

  @Get('pair')
  pair(@CognitoClaims() claims: VerifiedTokens): { sub: string | null; id: boolean } {
    return { sub: claims.access?.sub ?? null, id: claims.id !== undefined };
  }
}

/** One call of the validate hook, as it saw it. */
interface Seen {
  tenant: unknown;
  info: CognitoValidateInfo;
}

/**
 * The app's own hooks over real HTTP: `validate(tokens, info)` (false, a throw or async true; what
 * it learns; it runs before user sync, on every request) and `tokenExtractor` (a download link's
 * query parameter; a header still wins).
 */
describe.each(HTTP_PLATFORMS)('the validate and tokenExtractor hooks (%s)', (platform) => {
  let idp: TestIdentityProvider;
  let t: TestApp;
  const seen: Seen[] = [];

  /** Tenant "acme" in; "blocked" answers false; "broken" throws; the rest wait, then answer by the plan claim. */
  async function validate(tokens: VerifiedTokens, info: CognitoValidateInfo): Promise<boolean> {
    const tenant = tokens.id?.['custom:tenant'] ?? tokens.access?.['custom:tenant'];
    seen.push({ tenant, info });
    if (tenant === 'blocked') return false;
    if (tenant === 'broken') throw new Error('tenant lookup failed');
    await Promise.resolve();
    return tenant === 'acme' || tokens.id?.['custom:plan'] === 'pro';
  }

  /** A download link carries its tokens in the query string (`?access_token=…&id_token=…`). */
  function fromQuery(context: ExecutionContext): ExtractedTokens | undefined {
    if (context.getType() !== 'http') return undefined;
    const query = (context.switchToHttp().getRequest<{ query?: Record<string, unknown> }>().query ?? {}) as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return { access: text(query.access_token), id: text(query.id_token) };
  }

  beforeAll(async () => {
    idp = await TestIdentityProvider.start({ clients: [{ clientId: 'web' }] });
    t = await createTestApp(
      { ...idp.moduleOptions(), users: {}, validate, tokenExtractor: fromQuery },
      { imports: [sqliteUsers()], controllers: [TenantController, FilesController, GuardedController] },
      platform,
    );
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });
  beforeEach(() => {
    seen.length = 0;
  });

  const tenantOf = (tenant: string, sub: string) =>
    idp.issueTokens({ sub, idClaims: { 'custom:tenant': tenant }, accessClaims: { 'custom:tenant': tenant } });

  describe('validate', () => {
    it('async true lets the caller in; it learns the context type, the handler and the controller', async () => {
      const tk = await tenantOf('acme', 'v-ok');
      expect((await request(t.server).get('/tenant/report').set(seedHeaders(tk))).body).toEqual({ sub: 'v-ok' });
      expect(seen).toHaveLength(1);
      expect(seen[0].info).toEqual({ contextType: 'http', handler: TenantController.prototype.report, controller: TenantController });
    });

    it('false is 403 forbidden_claims, and the user is not synced (the hook runs before user sync)', async () => {
      const tk = await tenantOf('blocked', 'v-blocked');
      expectRefusal(await request(t.server).get('/tenant/report').set(seedHeaders(tk)), 403, 'forbidden_claims', [
        tk.accessToken,
        tk.idToken,
      ]);
      expect(await rowsOf(t, 'v-blocked')).toBe(0);
    });

    it('a throw is 403 forbidden_claims too (never a 500), and nothing of the error leaks', async () => {
      const tk = await tenantOf('broken', 'v-broken');
      const res = await request(t.server).get('/tenant/report').set(seedHeaders(tk));
      expectRefusal(res, 403, 'forbidden_claims');
      expect(res.text).not.toContain('tenant lookup failed');
      expect(t.logger.lines.join('\n')).not.toContain(tk.accessToken.split('.')[2]);
      expect(await rowsOf(t, 'v-broken')).toBe(0);
    });

    it('runs on every request, not once per token (its answer may depend on the route)', async () => {
      const tk = await tenantOf('acme', 'v-twice');
      await request(t.server).get('/tenant/report').set(seedHeaders(tk)).expect(200);
      await request(t.server).get('/files/pair').set(seedHeaders(tk)).expect(200);
      expect(seen.map((s) => s.info.handler)).toEqual([TenantController.prototype.report, FilesController.prototype.pair]);
      expect(await rowsOf(t, 'v-twice')).toBe(1);
    });

    it('runs once per request when the global guard and @UseGuards(CognitoGuard) both guard the handler', async () => {
      const tk = await tenantOf('acme', 'v-two-guards');
      expect((await request(t.server).get('/guarded/me').set(seedHeaders(tk))).body).toEqual({ sub: 'v-two-guards' });
      expect(seen.map((s) => s.info.handler)).toEqual([GuardedController.prototype.me]);
    });

    it("sees the ID token's claims (a custom plan), and machines' access tokens", async () => {
      const pro = await idp.issueTokens({ sub: 'v-pro', idClaims: { 'custom:plan': 'pro' } });
      expect((await request(t.server).get('/tenant/report').set(seedHeaders(pro))).status).toBe(200);
      const free = await idp.issueTokens({ sub: 'v-free', idClaims: { 'custom:plan': 'free' } });
      expectRefusal(await request(t.server).get('/tenant/report').set(seedHeaders(free)), 403, 'forbidden_claims');
      const robot = await tokensFor(idp, { kind: 'machine', accessClaims: { 'custom:tenant': 'blocked' } });
      // A machine on a users' route: the hook still runs first (it sees the access token) and refuses.
      expectRefusal(
        await request(t.server)
          .get('/files/download')
          .set({ Authorization: `Bearer ${robot.accessToken}` }),
        403,
        'forbidden_claims',
      );
      expect(seen.at(-1)?.tenant).toBe('blocked');
    });
  });

  describe('tokenExtractor', () => {
    it("reads a download link's access token from the query string", async () => {
      const tk = await tenantOf('acme', 'x-link');
      const res = await request(t.server).get('/files/download').query({ access_token: tk.accessToken });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ sub: 'x-link' });
    });

    it('reads both tokens of a pair from it', async () => {
      const tk = await tenantOf('acme', 'x-pair');
      const res = await request(t.server).get('/files/pair').query({ access_token: tk.accessToken, id_token: tk.idToken });
      expect(res.body).toEqual({ sub: 'x-pair', id: true });
    });

    it('a header still wins over the extractor', async () => {
      const mine = await tenantOf('acme', 'x-header');
      const other = await tenantOf('acme', 'x-query');
      const res = await request(t.server)
        .get('/files/pair')
        .set(seedHeaders(mine))
        .query({ access_token: other.accessToken, id_token: other.idToken });
      expect(res.body).toEqual({ sub: 'x-header', id: true });
      const bearer = await request(t.server)
        .get('/files/download')
        .set({ Authorization: `Bearer ${mine.accessToken}` })
        .query({ access_token: other.accessToken });
      expect(bearer.body).toEqual({ sub: 'x-header' });
    });

    it('an extracted token is verified like any other: a bad one is 401 token_invalid, a blank one absent', async () => {
      expectRefusal(await request(t.server).get('/files/download').query({ access_token: 'not.a.token' }), 401, 'token_invalid');
      expectRefusal(await request(t.server).get('/files/download').query({ access_token: '   ' }), 401, 'token_missing');
    });
  });
});
