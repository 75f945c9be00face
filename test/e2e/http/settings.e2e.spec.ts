import { ConfigModule, ConfigService } from '@nestjs/config';
import request from 'supertest';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { createTestApp, seedHeaders } from '../../support/test-app.js';

describe('settings of CognitoAuthModule (the HTTP platform plays no part: Express)', () => {
  let idp: TestIdentityProvider;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start({ clients: [{ clientId: 'client-a' }] });
  });
  afterAll(async () => {
    await idp?.close();
  });

  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it("forRoot() with no argument reads django-cognito-redux's environment names", async () => {
    Object.assign(process.env, idp.env());
    const t = await createTestApp({});
    try {
      const tokens = await idp.issueTokens({ sub: 'env-1' });
      expect((await request(t.server).get('/t/me').set(seedHeaders(tokens))).body.sub).toBe('env-1');
    } finally {
      await t.close();
    }
  });

  it('forRoot({ ... }) options win over the environment', async () => {
    Object.assign(process.env, idp.env(), { COGNITO_TOKEN_USE: 'id' });
    const t = await createTestApp({ tokenUse: 'access' });
    try {
      const tokens = await idp.issueTokens();
      expect((await request(t.server).get('/t/me').set('Authorization', `Bearer ${tokens.accessToken}`)).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('forRootAsync with ConfigService', async () => {
    const env = idp.env();
    const t = await createTestApp({
      async: {
        imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => env] })],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => ({
          userPoolId: config.getOrThrow<string>('COGNITO_POOL_ID'),
          clientId: config.getOrThrow<string>('APP_CLIENT_ID'),
          endpoint: config.getOrThrow<string>('COGNITO_ENDPOINT'),
          tokenUse: 'access' as const,
        }),
      },
    });
    try {
      const tokens = await idp.issueTokens({ sub: 'async-1' });
      expect((await request(t.server).get('/t/me').set('Authorization', `Bearer ${tokens.accessToken}`)).body.sub).toBe('async-1');
    } finally {
      await t.close();
    }
  });

  it('a bad setting stops start-up with an error naming the environment variable', async () => {
    Object.assign(process.env, idp.env(), { COGNITO_USER_FIELD_MAPPING: '{oops' });
    await expect(createTestApp({})).rejects.toThrow(/COGNITO_USER_FIELD_MAPPING/);
    process.env.COGNITO_USER_FIELD_MAPPING = '{"sub":"sub"}';
    process.env.COGNITO_TOKEN_USE = 'everything';
    await expect(createTestApp({})).rejects.toThrow(/COGNITO_TOKEN_USE/);
    await expect(createTestApp({ userPoolId: 'bad-pool' })).rejects.toThrow(/userPoolId/);
  });
});
