/**
 * An app's own admin routes built on CognitoAdminService, over real HTTP on Express and Fastify,
 * against the test identity provider: the answers a client sees (404 user_not_found, 409, 429,
 * 503, never a 500), group protection, a global sign-out that ends the target's session at once,
 * a re-sync, and no token in any body or log line.
 */
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import request from 'supertest';
import { CognitoAdminService } from '../../../src/admin/cognito-admin.service.js';
import type { CognitoAdminUser } from '../../../src/admin/admin.types.js';
import { Groups } from '../../../src/index.js';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { findLeaks } from '../../support/capture-logger.js';
import { HTTP_PLATFORMS, ProbeController, seedHeaders, type TestApp } from '../../support/test-app.js';
import { ADMIN_TEST_PASSWORD, adminApp, useAwsCredentials } from './admin-app.js';

/** What an app's admin area looks like with the service. */
@Groups('admin')
@Controller('admin/users')
class AdminUsersController {
  constructor(private readonly admin: CognitoAdminService) {}

  @Get()
  async list(@Query('prefix') prefix?: string): Promise<string[]> {
    const names: string[] = [];
    const filter = prefix ? { attribute: 'username' as const, value: prefix, match: 'prefix' as const } : undefined;
    for await (const page of this.admin.listUsers({ filter, pageSize: 2 })) names.push(...page.map((u) => u.username));
    return names;
  }

  @Get(':username')
  get(@Param('username') username: string): Promise<CognitoAdminUser> {
    return this.admin.getUser(username);
  }

  @Post()
  @HttpCode(201)
  create(@Body() body: { username: string; email: string }): Promise<CognitoAdminUser> {
    return this.admin.createUser({ username: body.username, attributes: { email: body.email }, suppressMessage: true });
  }

  @Post(':username/sign-out')
  @HttpCode(204)
  signOut(@Param('username') username: string): Promise<void> {
    return this.admin.globalSignOut(username);
  }

  @Post(':username/resync')
  @HttpCode(200)
  resync(@Param('username') username: string): Promise<unknown> {
    return this.admin.resyncUser(username);
  }

  @Delete(':username')
  @HttpCode(204)
  remove(@Param('username') username: string): Promise<void> {
    return this.admin.deleteUser(username);
  }
}

describe.each(HTTP_PLATFORMS)('admin routes built on CognitoAdminService (%s)', (platform) => {
  let idp: TestIdentityProvider;
  let t: TestApp;
  let restoreEnv: () => void;
  let root: Record<string, string>;
  const tokens: string[] = [];
  const bodies: string[] = [];

  const signIn = async (username: string): Promise<Record<string, string>> => {
    const out = await idp.issueTokens({ sub: idp.flows.user(username)!.sub, username, groups: idp.flows.user(username)!.groups });
    tokens.push(out.accessToken, out.idToken, out.refreshToken);
    return seedHeaders(out);
  };
  const call = async (method: 'get' | 'post' | 'delete', path: string, headers: Record<string, string>, body?: object) => {
    const res = await request(t.server)[method](path).set(headers).send(body);
    bodies.push(JSON.stringify(res.body));
    return res;
  };

  beforeAll(async () => {
    restoreEnv = useAwsCredentials({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example-secret' });
    idp = await TestIdentityProvider.start();
    idp.flows.addUser({ username: 'root', password: ADMIN_TEST_PASSWORD, groups: ['admin'] });
    idp.flows.addUser({ username: 'alice', password: ADMIN_TEST_PASSWORD, attributes: { 'custom:team': 'red' } });
    idp.flows.addUser({ username: 'alan', password: ADMIN_TEST_PASSWORD });
    idp.flows.addUser({ username: 'bob', password: ADMIN_TEST_PASSWORD });
    t = await adminApp(idp.moduleOptions(), { controllers: [AdminUsersController, ProbeController] }, platform);
    root = await signIn('root');
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
    restoreEnv?.();
  });
  beforeEach(() => {
    idp.admin.controls.mode = 'ok';
  });

  it('lists users across pages, and finds one', async () => {
    expect((await call('get', '/admin/users?prefix=al', root)).body).toEqual(['alan', 'alice']);
    expect((await call('get', '/admin/users', root)).body).toEqual(['alan', 'alice', 'bob', 'root']);
    const alice = await call('get', '/admin/users/alice', root);
    expect(alice.status).toBe(200);
    expect(alice.body).toMatchObject({ username: 'alice', enabled: true, status: 'CONFIRMED', attributes: { 'custom:team': 'red' } });
  });

  it('refuses callers outside the admin group (403 forbidden_group) before any Cognito call', async () => {
    idp.admin.resetCalls();
    const res = await call('get', '/admin/users/alice', await signIn('bob'));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden_group');
    expect(idp.admin.calls['AdminGetUser'] ?? 0).toBe(0);
  });

  it('answers typed errors over the wire: 404 user_not_found, 409 username_exists, 400 invalid_parameter', async () => {
    const missing = await call('get', '/admin/users/nobody', root);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ statusCode: 404, error: 'Not Found', code: 'user_not_found', message: 'The user does not exist' });
    expect((await call('delete', '/admin/users/nobody', root)).status).toBe(404);
    const taken = await call('post', '/admin/users', root, { username: 'bob', email: 'bob@example.com' });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('username_exists');
    const bad = await call('post', '/admin/users', root, { username: 'two words', email: 'x@example.com' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_parameter');
  });

  it('Cognito throttling is 429 limit_exceeded, Cognito down is 503 auth_unavailable: never a 500', async () => {
    idp.admin.controls.mode = 'throttle';
    const limited = await call('get', '/admin/users/alice', root);
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('limit_exceeded');
    idp.admin.controls.mode = 'error';
    const down = await call('post', '/admin/users/alice/resync', root);
    expect(down.status).toBe(503);
    expect(down.body.code).toBe('auth_unavailable');
  });

  it("a global sign-out ends the target's session here at once", async () => {
    const alan = await signIn('alan');
    expect((await call('get', '/t/me', alan)).status).toBe(200);
    expect((await call('post', '/admin/users/alan/sign-out', root)).status).toBe(204);
    const after = await call('get', '/t/me', alan);
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('token_revoked');
    expect((await call('get', '/t/me', root)).status).toBe(200); // the admin's own session stands
  });

  it("re-syncs a user's row from Cognito; create and delete", async () => {
    const row = await call('post', '/admin/users/alice/resync', root);
    expect(row.status).toBe(200);
    expect(row.body).toMatchObject({ sub: idp.flows.user('alice')!.sub, username: 'alice', team: 'red' });
    const created = await call('post', '/admin/users', root, { username: 'newbie', email: 'newbie@example.com' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ username: 'newbie', status: 'FORCE_CHANGE_PASSWORD' });
    expect((await call('delete', '/admin/users/newbie', root)).status).toBe(204);
    expect((await call('get', '/admin/users/newbie', root)).status).toBe(404);
  });

  it('put no token in a response body or a log line', () => {
    expect(findLeaks([...bodies, ...t.logger.lines], tokens)).toEqual([]);
  });
});
