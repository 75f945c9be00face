import { jest } from '@jest/globals';
import * as nestCommon from '@nestjs/common';
import { Controller, Get, type INestApplication } from '@nestjs/common';
import * as nestCore from '@nestjs/core';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { CognitoAuthModule, Public } from '../../../src/index.js';
import { CognitoAuthFlowService } from '../../../src/flows/cognito-auth-flow.service.js';
import { COGNITO_CLIENT, CognitoClientHolder, InjectCognitoClient } from '../../../src/admin/cognito-client.provider.js';
import { withCognitoFlows } from '../../../src/flows/cognito-flows.module.js';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { CaptureLogger } from '../../support/capture-logger.js';
import { flowsApp, PASSWORD, STATE_KEY } from './flows-app.js';

// @nestjs/throttler is CommonJS and require()s @nestjs/common and @nestjs/core, which are ESM-only
// from NestJS 12: Jest's require() cannot load them on Node 20 (Node itself can). Hand it the ESM
// copies the app uses, so the library's own import('@nestjs/throttler') works under Jest too.
jest.mock('@nestjs/common', () => nestCommon);
jest.mock('@nestjs/core', () => nestCore);
const { ThrottlerGuard, ThrottlerModule } = (await import('@nestjs/throttler')) as typeof import('@nestjs/throttler');

@Controller('uses-client')
class UsesClientController {
  constructor(
    @InjectCognitoClient() private readonly cognito: CognitoIdentityProviderClient,
    private readonly flows: CognitoAuthFlowService,
  ) {}

  @Public()
  @Get()
  get(): { region: boolean; flows: boolean } {
    return { region: typeof this.cognito.config.region === 'function', flows: typeof this.flows.login === 'function' };
  }
}

describe('flows wiring', () => {
  let idp: TestIdentityProvider;
  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    idp.flows.addUser({ username: 'alice', password: PASSWORD });
  });
  afterAll(() => idp?.close());

  async function boot(imports: unknown[], controllers: unknown[] = []): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({ imports: imports as never, controllers: controllers as never })
      .setLogger(new CaptureLogger())
      .compile();
    const app = moduleRef.createNestApplication({ logger: new CaptureLogger() });
    await app.init();
    return app;
  }

  it('withCognitoFlows(forRoot, { controller: true }) registers the controller, and the service and COGNITO_CLIENT are injectable app-wide', async () => {
    const options = { ...idp.moduleOptions(), sharedState: { stateKey: STATE_KEY }, flows: { controller: true, path: 'account' } };
    const app = await boot([withCognitoFlows(CognitoAuthModule.forRoot(options), options.flows)], [UsesClientController]);
    try {
      expect((await request(app.getHttpServer()).post('/account/login').send({ username: 'alice', password: PASSWORD })).status).toBe(200);
      expect((await request(app.getHttpServer()).get('/uses-client')).body).toEqual({ region: true, flows: true });
      expect(app.get(COGNITO_CLIENT, { strict: false })).toBe(app.get(CognitoClientHolder, { strict: false }).client);
    } finally {
      await app.close();
    }
  });

  it('the controller without COGNITO_STATE_KEY starts: challenge sessions are sealed with a per-process key, with one warning', async () => {
    idp.flows.addUser({ username: 'sms-no-key', password: PASSWORD, mfa: ['SMS_MFA'], phoneNumber: '+15555550199' });
    const logger = new CaptureLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [CognitoAuthModule.forRoot({ ...idp.moduleOptions(), flows: { controller: true } })],
    })
      .setLogger(logger)
      .compile();
    const app = moduleRef.createNestApplication({ logger });
    await app.init();
    try {
      const http = request(app.getHttpServer());
      const first = await http.post('/auth/login').send({ username: 'sms-no-key', password: PASSWORD });
      expect(first.body).toMatchObject({ status: 'challenge', challenge: 'SMS_MFA', session: expect.any(String) });
      const second = await http.post('/auth/login').send({ username: 'sms-no-key', password: PASSWORD });
      const code = idp.flows.lastCode('sms-no-key', 'SMS_MFA')!;
      const answered = await http
        .post('/auth/challenge')
        .send({ session: second.body.session, challenge: 'SMS_MFA', answers: { SMS_MFA_CODE: code } });
      expect(answered.status).toBe(200);
      expect(answered.body).toMatchObject({ status: 'signed_in', user: { username: 'sms-no-key' } });
      expect(logger.lines.filter((l) => l.includes('COGNITO_STATE_KEY is not set'))).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it('without controller: true no flows route exists, the service is still injectable', async () => {
    const options = { ...idp.moduleOptions() };
    const app = await boot([withCognitoFlows(CognitoAuthModule.forRoot(options))], [UsesClientController]);
    try {
      expect((await request(app.getHttpServer()).post('/auth/login').send({})).status).toBe(404);
      expect((await request(app.getHttpServer()).get('/uses-client')).body).toEqual({ region: true, flows: true });
    } finally {
      await app.close();
    }
  });

  it('closing the app destroys the shared SDK client', async () => {
    const app = await boot([withCognitoFlows(CognitoAuthModule.forRoot(idp.moduleOptions()))]);
    const client = app.get<CognitoIdentityProviderClient>(COGNITO_CLIENT, { strict: false });
    const destroy = jest.spyOn(client, 'destroy');
    await app.close();
    expect(destroy).toHaveBeenCalled();
  });
});

describe('rate limiting through @nestjs/throttler', () => {
  let idp: TestIdentityProvider;
  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    idp.flows.addUser({ username: 'alice', password: PASSWORD });
  });
  afterAll(() => idp?.close());

  const attempts = async (server: unknown, n: number): Promise<number[]> => {
    const statuses: number[] = [];
    for (let i = 0; i < n; i++)
      statuses.push(
        (
          await request(server as never)
            .post('/auth/login')
            .send({ username: 'alice', password: 'Wr0ng-Horse!' })
        ).status,
      );
    return statuses;
  };

  it('with ThrottlerModule imported, the flows are limited: 429 limit_exceeded with Retry-After past the limit', async () => {
    const t = await flowsApp(idp, {}, { imports: [ThrottlerModule.forRoot([{ ttl: 60_000, limit: 3 }])] });
    try {
      expect(await attempts(t.server, 3)).toEqual([401, 401, 401]);
      const res = await request(t.server).post('/auth/login').send({ username: 'alice', password: PASSWORD });
      expect(res.status).toBe(429);
      expect(res.body.code).toBe('limit_exceeded');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await t.close();
    }
  });

  it('with ThrottlerGuard already global, each request counts once (the flows guard stands aside)', async () => {
    const t = await flowsApp(
      idp,
      {},
      { imports: [ThrottlerModule.forRoot([{ ttl: 60_000, limit: 4 }])], providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }] },
    );
    try {
      expect(await attempts(t.server, 5)).toEqual([401, 401, 401, 401, 429]);
    } finally {
      await t.close();
    }
  });

  it('without ThrottlerModule nothing is limited here', async () => {
    const t = await flowsApp(idp);
    try {
      expect(await attempts(t.server, 6)).toEqual([401, 401, 401, 401, 401, 401]);
    } finally {
      await t.close();
    }
  });
});
