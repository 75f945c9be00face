/**
 * The wiring `CognitoAuthModule` uses for the admin service (`withCognitoAdmin`): the service is
 * injectable in any module of the app without importing anything, with `forRoot` and
 * `forRootAsync`, and sends through the same SDK client as the flows (`COGNITO_CLIENT`).
 */
import { Controller, Get, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CognitoAdminService } from '../../../src/admin/cognito-admin.service.js';
import { withCognitoAdmin } from '../../../src/admin/cognito-admin.module.js';
import { COGNITO_CLIENT, CognitoAuthModule, Public } from '../../../src/index.js';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { CaptureLogger } from '../../support/capture-logger.js';
import { ADMIN_TEST_PASSWORD, useAwsCredentials } from '../../e2e/admin/admin-app.js';

/** A feature module of the app that imports nothing. */
@Controller('feature')
class FeatureController {
  constructor(readonly admin: CognitoAdminService) {}

  @Public()
  @Get()
  async get(): Promise<string | undefined> {
    return (await this.admin.getUser('alice')).sub;
  }
}

@Module({ controllers: [FeatureController] })
class FeatureModule {}

describe('withCognitoAdmin(CognitoAuthModule...)', () => {
  let idp: TestIdentityProvider;
  let restoreEnv: () => void;

  beforeAll(async () => {
    restoreEnv = useAwsCredentials({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example-secret' });
    idp = await TestIdentityProvider.start();
    idp.flows.addUser({ username: 'alice', password: ADMIN_TEST_PASSWORD });
  });
  afterAll(async () => {
    await idp?.close();
    restoreEnv?.();
  });

  it.each([
    ['forRoot', () => withCognitoAdmin(withCognitoAdmin(CognitoAuthModule.forRoot({ ...idp.moduleOptions(), users: false })))],
    [
      'forRootAsync',
      () => withCognitoAdmin(CognitoAuthModule.forRootAsync({ useFactory: () => ({ ...idp.moduleOptions(), users: false as const }) })),
    ],
  ])('%s: injectable in a feature module that imports nothing, on the shared SDK client', async (_name, auth) => {
    const moduleRef = await Test.createTestingModule({ imports: [auth(), FeatureModule] })
      .setLogger(new CaptureLogger())
      .compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    try {
      const feature = app.get(FeatureController);
      expect(await feature.get()).toBe(idp.flows.user('alice')!.sub);
      expect(app.get(CognitoAdminService, { strict: false })).toBe(feature.admin);
      expect((feature.admin as unknown as { client: unknown }).client).toBe(app.get(COGNITO_CLIENT, { strict: false }));
    } finally {
      await app.close();
    }
  });
});
