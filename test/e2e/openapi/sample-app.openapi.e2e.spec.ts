/**
 * The sample app's own OpenAPI document, as its main.ts serves it (`setupOpenApi`): booted in
 * process on SQLite with the settings from the environment (as the demo sets them: cookies and
 * CSRF on), fetched from GET /docs-json and read.
 *
 * The sample app imports 'nest-cognito-auth' as a user's app does; here that name is mapped to the
 * sources, so the spec needs no build.
 */
import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { cognitoOpenApiProvider } from '../../../src/openapi/cognito-openapi.explorer.js';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { CaptureLogger } from '../../support/capture-logger.js';

jest.unstable_mockModule(
  'nest-cognito-auth',
  async () => ({
    ...(await import('../../../src/index.js')),
    // Until the package entry exports it as well.
    withCognitoSecurity: (await import('../../../src/openapi/cognito-security.schemes.js')).withCognitoSecurity,
  }),
  { virtual: true },
);

type Operation = {
  security?: Array<Record<string, string[]>>;
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
};

const PAIRS = [
  { 'cognito-bearer': [], 'cognito-headers-id': [] },
  { 'cognito-headers': [], 'cognito-headers-id': [] },
  { 'cognito-cookies': [], 'cognito-cookies-id': [] },
];

describe('sample app OpenAPI document (GET /docs-json)', () => {
  let idp: TestIdentityProvider;
  let app: INestApplication;
  let doc: OpenAPIObject;
  const saved = { ...process.env };

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    Object.assign(process.env, idp.env(), {
      DATABASE_URL: 'sqlite::memory:',
      COGNITO_COOKIES: 'true',
      USE_CSRF: 'true',
      COGNITO_STATE_KEY: 'sample-app-openapi-test-state-key-0123456789',
    });
    const { AppModule } = await import('../../../sample-app/src/app.module.js');
    const { setupOpenApi } = await import('../../../sample-app/src/openapi.js');
    const moduleRef = await Test.createTestingModule({ imports: [AppModule], providers: [cognitoOpenApiProvider] })
      .setLogger(new CaptureLogger())
      .compile();
    app = moduleRef.createNestApplication({ logger: new CaptureLogger() });
    setupOpenApi(app); // before init, as main.ts does before listen()
    await app.init();
    const res = await request(app.getHttpServer()).get('/docs-json');
    expect(res.status).toBe(200);
    doc = res.body as OpenAPIObject;
  });
  afterAll(async () => {
    await app?.close();
    await idp?.close();
    process.env = saved;
  });

  const op = (path: string, method: 'get' | 'post'): Operation => {
    const found = doc.paths[path]?.[method] as Operation | undefined;
    if (!found) throw new Error(`no ${method.toUpperCase()} ${path} in the sample app's document`);
    return found;
  };

  it('defines the security schemes', () => {
    expect(Object.keys(doc.components?.securitySchemes ?? {}).sort()).toEqual([
      'cognito-bearer',
      'cognito-cookies',
      'cognito-cookies-id',
      'cognito-headers',
      'cognito-headers-id',
    ]);
  });

  it('GET /me, GET /admin, GET and POST /notes need a token pair and document 401/403/503 with the error body', () => {
    for (const [path, method, success] of [
      ['/me', 'get', '200'],
      ['/admin', 'get', '200'],
      ['/notes', 'get', '200'],
      ['/notes', 'post', '201'],
    ] as const) {
      const operation = op(path, method);
      expect(operation.security).toEqual(PAIRS);
      expect(Object.keys(operation.responses).sort()).toEqual([success, '401', '403', '503']);
      for (const status of ['401', '403', '503']) {
        expect(operation.responses[status]?.content?.['application/json']?.schema).toEqual({
          $ref: '#/components/schemas/CognitoAuthErrorBody',
        });
      }
    }
    expect(doc.components?.schemas).toHaveProperty('CognitoAuthErrorBody');
  });

  it('the public routes (GET /health, POST /auth/login, the login page) have no security requirement', () => {
    for (const [path, method] of [
      ['/health', 'get'],
      ['/auth/login', 'post'],
      ['/', 'get'],
    ] as const) {
      const operation = op(path, method);
      expect(operation.security).toBeUndefined();
      expect(Object.keys(operation.responses)).not.toContain('401');
    }
  });

  it('GET /docs serves Swagger UI', async () => {
    const res = await request(app.getHttpServer()).get('/docs');
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger-ui');
  });
});
