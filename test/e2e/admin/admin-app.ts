/**
 * The admin specs' app: CognitoAuthModule with user sync on SQLite (a `members` table mapped from
 * e-mail, user name and a custom attribute), CognitoAdminModule, and the credentials the SDK's
 * default chain finds in the environment (admin calls are signed; the test identity provider and
 * cognito-local accept any key).
 */
import type { Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { CognitoAdminModule } from '../../../src/admin/cognito-admin.module.js';
import type { CognitoAuthForRootOptions, CognitoUserSyncOptions } from '../../../src/index.js';
import { createTestApp, type HttpPlatform, ProbeController, type TestApp, type TestAppExtras } from '../../support/test-app.js';

/** The app's user table. */
@Entity('members')
export class Member {
  @PrimaryGeneratedColumn('increment', { type: 'int' }) id!: number;
  @Column({ type: 'varchar', length: 255, unique: true }) sub!: string;
  @Column({ type: 'varchar', length: 255, nullable: true }) email!: string | null;
  @Column({ type: 'varchar', length: 128, nullable: true }) username!: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) team!: string | null;
}

/** `Member`'s fields from the claims (and so, for a re-sync, from Cognito's attributes). */
export const MEMBER_MAPPING = { sub: 'sub', email: 'email', username: 'username', team: 'custom:team' };

/** A strong password for the pools' default policy. */
export const ADMIN_TEST_PASSWORD = 'Corr3ct-Horse!';

/** The environment the SDK's default credential chain reads, and nothing else it could fall back to. */
const CREDENTIAL_ENV = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONFIG_FILE',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
];

/**
 * Points the SDK's default credential chain at `credentials` (environment variables), or at
 * nothing at all (no profile, no files, no instance metadata) when `credentials` is `null`.
 * Returns the function that puts the environment back.
 */
export function useAwsCredentials(credentials: { accessKeyId: string; secretAccessKey: string } | null): () => void {
  const saved = new Map(CREDENTIAL_ENV.map((name) => [name, process.env[name]]));
  for (const name of CREDENTIAL_ENV) delete process.env[name];
  process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
  process.env.AWS_CONFIG_FILE = '/nonexistent/config';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  if (credentials) {
    process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  } else {
    process.env.AWS_PROFILE = 'nest-cognito-auth-no-such-profile';
  }
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** An app with user sync on an in-memory SQLite `members` table and CognitoAdminModule. */
export function adminApp(
  auth: CognitoAuthForRootOptions,
  extra: TestAppExtras & { controllers?: Type[]; users?: CognitoUserSyncOptions } = {},
  platform: HttpPlatform = 'express',
): Promise<TestApp> {
  const { users, ...rest } = extra;
  return createTestApp(
    { ...auth, users: { entity: Member, fieldMapping: MEMBER_MAPPING, cacheTtlSeconds: 0, ...users } },
    {
      ...rest,
      imports: [
        ...(rest.imports ?? []),
        TypeOrmModule.forRoot({ type: 'better-sqlite3', database: ':memory:', entities: [Member], synchronize: true }),
        CognitoAdminModule,
      ],
      controllers: rest.controllers ?? [ProbeController],
    },
    platform,
  );
}
