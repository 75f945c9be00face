/**
 * The per-process user cache (users.cacheTtlSeconds): a repeat caller costs no query, changed
 * claims still reach the database at once, and a change made in the database reaches requests
 * within the TTL. On a real SQLite file through TypeORM, with an injected clock.
 */
import { CognitoUser } from '../../../src/users/cognito-user.entity.js';
import { UserSyncService } from '../../../src/users/user-sync.service.js';
import { describeDb, type DbContext } from '../../support/databases.js';
import { idClaims, testSettings } from '../../support/user-sync.js';

const mapping = { sub: 'sub', email: 'email' };

describeDb('sqlite', 'user cache', (db: DbContext) => {
  let now = 1_800_000_000_000;
  async function service(cacheTtlSeconds: number) {
    const ds = await db.openDataSource([CognitoUser]);
    const settings = testSettings({ fieldMapping: mapping, cacheTtlSeconds });
    const sync = await UserSyncService.forDataSource(settings, ds, { clock: () => now });
    return { ds, sync, rows: ds.getRepository(CognitoUser) };
  }

  it('answers a repeat caller from memory for the TTL, then from the database again', async () => {
    const { sync, rows } = await service(1);
    const first = await sync.resolveUser({ id: idClaims('cached-1', { email: 'a@example.test' }) });
    expect(sync.cachedUserCount).toBe(1);
    await rows.delete({ sub: 'cached-1' });
    // Deleted in the database, still answered from the cache within the TTL...
    expect((await sync.resolveUser({ id: idClaims('cached-1', { email: 'a@example.test' }) })).id).toBe(first.id);
    expect(await rows.countBy({ sub: 'cached-1' })).toBe(0);
    now += 999;
    expect((await sync.resolveUser({ id: idClaims('cached-1', { email: 'a@example.test' }) })).id).toBe(first.id);
    // ...and looked up (here: created again) once it has passed.
    now += 1;
    const again = await sync.resolveUser({ id: idClaims('cached-1', { email: 'a@example.test' }) });
    expect(again.id).not.toBe(first.id);
    expect(await rows.countBy({ sub: 'cached-1' })).toBe(1);
  });

  it('writes a changed claim at once, cache or not', async () => {
    const { sync, rows } = await service(60);
    await sync.resolveUser({ id: idClaims('cached-2', { email: 'old@example.test' }) });
    const changed = await sync.resolveUser({ id: idClaims('cached-2', { email: 'new@example.test' }) });
    expect(changed.email).toBe('new@example.test');
    expect((await rows.findOneByOrFail({ sub: 'cached-2' })).email).toBe('new@example.test');
  });

  it('hands each caller its own copy', async () => {
    const { sync } = await service(60);
    const a = await sync.resolveUser({ id: idClaims('cached-3') });
    a.email = 'mutated@example.test';
    const b = await sync.resolveUser({ id: idClaims('cached-3') });
    expect(b.email).not.toBe('mutated@example.test');
    expect(b).toBeInstanceOf(CognitoUser);
  });

  it('with cacheTtlSeconds 0 every call reads the database', async () => {
    const { sync, rows } = await service(0);
    const first = await sync.resolveUser({ id: idClaims('cached-4') });
    await rows.delete({ sub: 'cached-4' });
    const second = await sync.resolveUser({ id: idClaims('cached-4') });
    expect(second.id).not.toBe(first.id);
    expect(sync.cachedUserCount).toBe(0);
  });
});
