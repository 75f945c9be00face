/**
 * CognitoAdminService in a booted app, on real SDK calls, against both Cognito stand-ins (the test
 * identity provider and cognito-local): the same scenarios, with user sync on SQLite for the
 * re-sync. What only the test identity provider can show (exact paging, global sign-out, faults)
 * is in admin-test-idp.spec.ts.
 */
import { DataSource } from 'typeorm';
import { AdminGroupNotFoundError, AdminInvalidParameterError, AdminUserNotFoundError } from '../../../src/errors/admin.errors.js';
import type { CognitoAdminUser } from '../../../src/admin/admin.types.js';
import { CognitoAdminService } from '../../../src/admin/cognito-admin.service.js';
import { UsernameExistsError } from '../../../src/index.js';
import type { TestApp } from '../../support/test-app.js';
import { ADMIN_TEST_PASSWORD, adminApp, Member, useAwsCredentials } from '../../e2e/admin/admin-app.js';
import { type AdminBackend, cognitoLocalBackend, testIdpBackend } from './admin-backends.js';

const BACKENDS: ReadonlyArray<[string, () => Promise<AdminBackend>]> = [
  ['test identity provider', testIdpBackend],
  ['cognito-local', cognitoLocalBackend],
];

/** Every user of every page. */
async function all(pages: AsyncIterable<CognitoAdminUser[]>): Promise<{ users: CognitoAdminUser[]; sizes: number[] }> {
  const users: CognitoAdminUser[] = [];
  const sizes: number[] = [];
  for await (const page of pages) {
    users.push(...page);
    sizes.push(page.length);
  }
  return { users, sizes };
}

describe.each(BACKENDS)('CognitoAdminService against the %s', (_name, start) => {
  let backend: AdminBackend;
  let t: TestApp;
  let admin: CognitoAdminService;
  let restoreEnv: () => void;

  beforeAll(async () => {
    restoreEnv = useAwsCredentials({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example-secret' });
    backend = await start();
    await backend.createGroup('admin');
    await backend.createGroup('staff');
    await backend.addUser({
      username: 'alice',
      password: ADMIN_TEST_PASSWORD,
      email: 'alice@example.com',
      attributes: { 'custom:team': 'red' },
      groups: ['admin'],
    });
    await backend.addUser({ username: 'bob', password: ADMIN_TEST_PASSWORD, email: 'bob@example.com' });
    t = await adminApp(backend.auth);
    admin = t.app.get(CognitoAdminService);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await backend?.close();
    restoreEnv?.();
  });

  it('getUser: attributes, status, enabled, sub', async () => {
    const alice = await admin.getUser('alice');
    expect(alice).toMatchObject({ username: 'alice', enabled: true, status: 'CONFIRMED', mfa: [] });
    expect(alice.sub).toMatch(/^[0-9a-f-]{36}$/);
    expect(alice.attributes).toMatchObject({ sub: alice.sub, email: 'alice@example.com', email_verified: 'true', 'custom:team': 'red' });
    expect(alice.createdAt).toBeInstanceOf(Date);
  });

  it('an unknown user is 404 user_not_found for every operation that names one', async () => {
    for (const call of [
      () => admin.getUser('nobody'),
      () => admin.disableUser('nobody'),
      () => admin.enableUser('nobody'),
      () => admin.deleteUser('nobody'),
      () => admin.addToGroup('nobody', 'admin'),
      () => admin.removeFromGroup('nobody', 'admin'),
      () => admin.listGroups('nobody'),
      () => admin.globalSignOut('nobody'),
      () => admin.resyncUser('nobody'),
    ]) {
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AdminUserNotFoundError);
      expect((err as AdminUserNotFoundError).getStatus()).toBe(404);
      expect((err as AdminUserNotFoundError).toBody()).toEqual({
        statusCode: 404,
        error: 'Not Found',
        code: 'user_not_found',
        message: 'The user does not exist',
      });
    }
  });

  it('createUser: FORCE_CHANGE_PASSWORD, whose first sign-in asks for a new password; a taken name is 409', async () => {
    const created = await admin.createUser({
      username: 'carol',
      attributes: { email: 'carol@example.com', email_verified: 'true' },
      temporaryPassword: 'Temp-Passw0rd!',
      suppressMessage: true,
    });
    expect(created).toMatchObject({ username: 'carol', status: 'FORCE_CHANGE_PASSWORD', enabled: true });
    expect(created.attributes['email']).toBe('carol@example.com');
    expect((await admin.getUser('carol')).sub).toBe(created.sub);
    expect((await backend.login('carol', 'Temp-Passw0rd!')).ChallengeName).toBe('NEW_PASSWORD_REQUIRED');
    await expect(admin.createUser({ username: 'carol', suppressMessage: true })).rejects.toBeInstanceOf(UsernameExistsError);
  });

  it('listUsers: every user across the pages, and a filter (exact and prefix)', async () => {
    const { users, sizes } = await all(admin.listUsers({ pageSize: 2 }));
    expect(users.map((u) => u.username).sort()).toEqual(expect.arrayContaining(['alice', 'bob', 'carol']));
    if (backend.pages) expect(Math.max(...sizes)).toBeLessThanOrEqual(2);
    expect((await all(admin.listUsers({ filter: { attribute: 'username', value: 'bob' } }))).users.map((u) => u.username)).toEqual(['bob']);
    const prefixed = await all(admin.listUsers({ filter: { attribute: 'email', value: 'ali', match: 'prefix' } }));
    expect(prefixed.users.map((u) => u.username)).toEqual(['alice']);
    expect(prefixed.users[0]?.attributes['custom:team']).toBe('red');
  });

  it('listUsers: a bad page size is 400 invalid_parameter before any call', () => {
    expect(() => admin.listUsers({ pageSize: 0 })).toThrow(AdminInvalidParameterError);
    expect(() => admin.listUsers({ pageSize: 61 })).toThrow(AdminInvalidParameterError);
  });

  it('disableUser and enableUser', async () => {
    await admin.disableUser('bob');
    expect((await admin.getUser('bob')).enabled).toBe(false);
    await admin.enableUser('bob');
    expect((await admin.getUser('bob')).enabled).toBe(true);
  });

  it('addToGroup, listGroups, removeFromGroup; a missing group is 404 group_not_found', async () => {
    await admin.addToGroup('bob', 'staff');
    expect((await admin.listGroups('bob')).map((g) => g.name)).toEqual(['staff']);
    await admin.removeFromGroup('bob', 'staff');
    expect(await admin.listGroups('bob')).toEqual([]);
    expect((await admin.listGroups('alice')).map((g) => g.name)).toEqual(['admin']);
    const err = await admin.addToGroup('bob', 'no-such-group').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AdminGroupNotFoundError);
    expect((err as AdminGroupNotFoundError).toBody().code).toBe('group_not_found');
  });

  it('deleteUser: the user is gone', async () => {
    await backend.addUser({ username: 'dave', password: ADMIN_TEST_PASSWORD });
    await admin.deleteUser('dave');
    await expect(admin.getUser('dave')).rejects.toBeInstanceOf(AdminUserNotFoundError);
  });

  it('resyncUser writes Cognito attributes to the row; an e-mail only once it is verified', async () => {
    const rows = t.app.get(DataSource).getRepository(Member);
    const first = await admin.resyncUser('alice');
    const sub = (await admin.getUser('alice')).sub;
    expect(first).toMatchObject({ sub, email: 'alice@example.com', username: 'alice', team: 'red' });

    await backend.updateAttributes('alice', { 'custom:team': 'blue', email: 'alice@new.example.com', email_verified: 'false' });
    expect(await admin.resyncUser('alice')).toMatchObject({ team: 'blue', email: 'alice@example.com' });
    expect(await rows.findOneBy({ sub })).toMatchObject({ team: 'blue', email: 'alice@example.com' });

    await backend.updateAttributes('alice', { email: 'alice@new.example.com', email_verified: 'true' });
    await admin.resyncUser('alice');
    expect(await rows.findOneBy({ sub })).toMatchObject({ email: 'alice@new.example.com' });
    expect(await rows.countBy({ sub })).toBe(1);
  });
});
