import { Test, TestingModule } from '@nestjs/testing';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { App } from 'supertest/types.js';
import { DataSource, getMetadataArgsStorage } from 'typeorm';
import { CognitoUser } from 'nest-cognito-auth';
import { TestIdentityProvider } from 'nest-cognito-auth/testing';
import { AppModule } from './../src/app.module.js';
import { CompatUser } from './../src/compat-user.entity.js';

// The library as an ES module app gets it: import of the tarball's dist/esm, under Vitest (the
// runner `nest new` sets up for ESM apps), NestJS 12, TypeORM 1 and PostgreSQL.
describe('nest-cognito-auth in an ESM NestJS 12 app (e2e)', () => {
  let app: INestApplication<App>;
  let idp: TestIdentityProvider;
  const createdSubs: string[] = [];

  beforeAll(async () => {
    idp = await TestIdentityProvider.start({ userPoolId: 'local_CompatEsm12' });
    Object.assign(process.env, idp.env());
    const moduleFixture: TestingModule = await Test.createTestingModule({
      imports: [AppModule],
    }).compile();
    app = moduleFixture.createNestApplication();
    await app.init();
  });

  afterAll(async () => {
    if (app) {
      const users = app.get(DataSource).getRepository(CompatUser);
      for (const sub of createdSubs) await users.delete({ sub });
      await app.close();
    }
    await idp?.close();
  });

  it('a valid token pair: 200 with @CurrentUser(), the row synced to PostgreSQL', async () => {
    const tokens = await idp.issueTokens({ email: 'grace@example.test' });
    createdSubs.push(tokens.sub);
    const res = await request(app.getHttpServer())
      .get('/me')
      .set('ACCESSTOKEN', tokens.accessToken)
      .set('IDTOKEN', tokens.idToken)
      .expect(200);
    expect(res.body).toEqual({ id: expect.any(Number), sub: tokens.sub, email: 'grace@example.test' });
    const row = await app.get(DataSource).getRepository(CompatUser).findOneBy({ sub: tokens.sub });
    expect(row?.id).toBe(res.body.id);
  });

  it("settings from ConfigModule's load factory (only in ConfigService, not process.env) through @nestjs/config 12: a lone Bearer access token is enough (COGNITO_TOKEN_USE=access)", async () => {
    const tokens = await idp.issueTokens();
    createdSubs.push(tokens.sub);
    const res = await request(app.getHttpServer()).get('/me').set('Authorization', `Bearer ${tokens.accessToken}`).expect(200);
    expect(res.body).toMatchObject({ sub: tokens.sub });
  });

  it('no token: 401 token_missing', async () => {
    const res = await request(app.getHttpServer()).get('/me').expect(401);
    expect(res.body).toMatchObject({ statusCode: 401, code: 'token_missing' });
  });

  it('a @Public() route: 200 without a token', () => {
    return request(app.getHttpServer()).get('/health').expect(200).expect({ status: 'ok' });
  });

  it("CognitoUser carries TypeORM 1's entity metadata (the optional peer was found)", () => {
    const table = getMetadataArgsStorage().tables.find((t) => t.target === CognitoUser);
    expect(table?.name).toBe('cognito_users');
  });
});
