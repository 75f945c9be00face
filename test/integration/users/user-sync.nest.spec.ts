/**
 * How UserSyncService finds its DataSource inside a Nest app (TypeOrmModule, better-sqlite3):
 * the default one, a named one, an instance, none.
 */
import { jest } from '@jest/globals';
import { Logger, Module, type DynamicModule, type Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { COGNITO_AUTH_SETTINGS } from '../../../src/cognito-auth.constants.js';
import { CognitoConfigError } from '../../../src/errors/cognito-auth.errors.js';
import type { CognitoAuthSettings, ResolvedUserSyncSettings } from '../../../src/options/cognito-auth.options.js';
import { CognitoUser } from '../../../src/users/cognito-user.entity.js';
import { UserSyncService } from '../../../src/users/user-sync.service.js';
import { idClaims, testSettings } from '../../support/user-sync.js';

@Entity('nest_loose_users')
class NestLooseUser {
  @PrimaryGeneratedColumn('increment', { type: 'int' }) id!: number;
  @Column({ type: 'varchar', length: 255 }) sub!: string;
}

const files: string[] = [];
function sqliteFile(): string {
  const file = join(tmpdir(), `nca_nest_${randomBytes(6).toString('hex')}.sqlite`);
  files.push(file);
  return file;
}

function typeOrm(name?: string, entities: Type[] = [CognitoUser]): DynamicModule {
  return TypeOrmModule.forRoot({
    ...(name ? { name } : {}),
    type: 'better-sqlite3',
    database: sqliteFile(),
    entities,
    synchronize: true,
  });
}

@Module({})
class EmptyModule {}

const modules: TestingModule[] = [];
async function start(imports: DynamicModule[], settings: CognitoAuthSettings): Promise<UserSyncService> {
  const moduleRef = await Test.createTestingModule({
    imports: imports.length > 0 ? imports : [EmptyModule],
    providers: [UserSyncService, { provide: COGNITO_AUTH_SETTINGS, useValue: settings }],
  }).compile();
  modules.push(moduleRef);
  await moduleRef.init();
  return moduleRef.get(UserSyncService);
}

function users(u: Partial<ResolvedUserSyncSettings>): CognitoAuthSettings {
  return testSettings(u);
}

describe('UserSyncService in a Nest app', () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await Promise.all(modules.splice(0).map((m) => m.close().catch(() => undefined)));
  });
  afterAll(async () => {
    await Promise.all(files.map((f) => rm(f, { force: true })));
  });

  it('uses the default TypeORM DataSource', async () => {
    const service = await start([typeOrm()], users({ explicit: false }));
    expect(service.enabled).toBe(true);
    const user = await service.resolveUser({ id: idClaims('nest-default-1', { email: 'n@example.com' }) });
    expect(user).toBeInstanceOf(CognitoUser);
    expect(user).toMatchObject({ sub: 'nest-default-1', email: 'n@example.com' });
    const ds = modules[0].get(DataSource);
    expect(await ds.getRepository(CognitoUser).countBy({ sub: 'nest-default-1' })).toBe(1);
  });

  it('uses a named DataSource ("users" → the usersDataSource token), not the default one', async () => {
    const service = await start([typeOrm(undefined, []), typeOrm('users')], users({ dataSource: 'users' }));
    expect(service.enabled).toBe(true);
    await service.resolveUser({ id: idClaims('nest-named-1') });
    const named = modules[0].get<DataSource>('usersDataSource');
    expect(await named.getRepository(CognitoUser).countBy({ sub: 'nest-named-1' })).toBe(1);
  });

  it('uses a DataSource instance given in the settings', async () => {
    const ds = new DataSource({ type: 'better-sqlite3', database: sqliteFile(), entities: [CognitoUser], synchronize: true });
    await ds.initialize();
    try {
      const service = await start([], users({ dataSource: ds }));
      await service.resolveUser({ id: idClaims('nest-instance-1') });
      expect(await ds.getRepository(CognitoUser).countBy({ sub: 'nest-instance-1' })).toBe(1);
    } finally {
      await ds.destroy();
    }
  });

  it('is off, without error, when no DataSource exists and sync was not asked for explicitly', async () => {
    const service = await start([], users({ explicit: false }));
    expect(service.enabled).toBe(false);
  });

  it('is off when settings.users is false, even with a DataSource', async () => {
    const service = await start([typeOrm()], testSettings(false));
    expect(service.enabled).toBe(false);
  });

  it('stops start-up when sync was asked for but the DataSource is missing', async () => {
    await expect(start([], users({ explicit: true }))).rejects.toThrow(CognitoConfigError);
    await expect(start([typeOrm()], users({ dataSource: 'nope' }))).rejects.toMatchObject({ setting: 'users.dataSource' });
  });

  it('is off, with a warning, when sync was not asked for and the DataSource lacks the default entity', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const service = await start([typeOrm(undefined, [NestLooseUser])], users({ explicit: false }));
    expect(service.enabled).toBe(false);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/users\.entity.*CognitoUser.*user sync is off/);
  });

  it('stops start-up when sync was asked for and the entity is not in the DataSource', async () => {
    await expect(start([typeOrm(undefined, [NestLooseUser])], users({ explicit: true }))).rejects.toMatchObject({
      setting: 'users.entity',
    });
  });

  it('checks the entity on first use when the DataSource is initialised after start-up', async () => {
    const ds = new DataSource({ type: 'better-sqlite3', database: sqliteFile(), entities: [CognitoUser], synchronize: true });
    const service = await UserSyncService.forDataSource(users({}), ds);
    expect(service.enabled).toBe(true);
    await expect(service.resolveUser({ id: idClaims('late-1') })).rejects.toMatchObject({ code: 'auth_unavailable' });
    await ds.initialize();
    try {
      await expect(service.resolveUser({ id: idClaims('late-1') })).resolves.toMatchObject({ sub: 'late-1' });
    } finally {
      await ds.destroy();
    }
  });

  it('stops start-up when the lookup column is not unique', async () => {
    const error = await start([typeOrm(undefined, [NestLooseUser])], users({ entity: NestLooseUser, fieldMapping: { sub: 'sub' } })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CognitoConfigError);
    expect((error as Error).message).toMatch(/users\.lookupField.*NestLooseUser.*unique/s);
  });

  it('names the environment variable when the faulty setting came from the environment', async () => {
    const { resolveCognitoSettings } = await import('../../../src/options/settings.resolver.js');
    const env: Record<string, string> = {
      COGNITO_POOL_ID: 'eu-west-1_Abc1',
      APP_CLIENT_ID: 'c1',
      COGNITO_USER_MODEL_FIELD_REF_FIELD: 'sub',
      COGNITO_USER_FIELD_MAPPING: '{"sub":"sub","nickname":"nickname"}',
    };
    const fromEnv = resolveCognitoSettings({ users: { entity: NestLooseUser } }, (n) => env[n]);
    const error = await start([typeOrm(undefined, [NestLooseUser])], fromEnv).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CognitoConfigError);
    expect((error as CognitoConfigError).setting).toMatch(/^COGNITO_USER_MODEL_FIELD_REF_FIELD$|^COGNITO_USER_FIELD_MAPPING$/);
  });
});
