import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  type INestApplication,
  type ModuleMetadata,
  Param,
  Post,
  Type,
  UseGuards,
} from '@nestjs/common';
import { Test, type TestingModule, type TestingModuleBuilder } from '@nestjs/testing';
import {
  CognitoAuthModule,
  CognitoClaims,
  CognitoGuard,
  CurrentUser,
  Groups,
  Public,
  Scopes,
  type CognitoAuthForRootOptions,
  type VerifiedTokens,
} from '../../src/index.js';
import { CaptureLogger } from './capture-logger.js';

/** The routes every e2e spec drives: one per decorator of the public API. */
@Controller('t')
export class ProbeController {
  @Get('me')
  me(@CurrentUser() user: unknown): unknown {
    return user;
  }

  @Get('email')
  email(@CurrentUser('email') email: string | undefined): { email: string | null } {
    return { email: email ?? null };
  }

  @Get('claims')
  claims(@CognitoClaims() claims: VerifiedTokens): { access: string | null; id: string | null } {
    return { access: claims.access?.sub ?? null, id: claims.id?.sub ?? null };
  }

  @Public()
  @Get('open')
  open(@CurrentUser() user: { sub?: string } | undefined): { user: string | null } {
    return { user: user?.sub ?? null };
  }

  @Groups('admin')
  @Get('admin')
  admin(): { ok: true } {
    return { ok: true };
  }

  @Groups('admin')
  @Delete('notes/:id')
  remove(@Param('id') id: string): { removed: string } {
    return { removed: id };
  }

  @Scopes('notes/write')
  @Post('notes')
  @HttpCode(201)
  create(@Body() body: unknown): { created: unknown } {
    return { created: body ?? null };
  }
}

/** The same routes behind `@UseGuards(CognitoGuard)`, for apps without the global guard. */
@Controller('guarded')
@UseGuards(CognitoGuard)
export class GuardedController {
  @Get('me')
  me(@CurrentUser() user: { sub?: string }): { sub: string | null } {
    return { sub: user?.sub ?? null };
  }
}

/** The HTTP platforms the e2e suites run on. */
export type HttpPlatform = 'express' | 'fastify';

/** `describe.each(HTTP_PLATFORMS)('... (%s)', (platform) => ...)`: every HTTP scenario on both adapters. */
export const HTTP_PLATFORMS: ReadonlyArray<[HttpPlatform]> = [['express'], ['fastify']];

/** What `createTestApp` returns. */
export interface TestApp {
  readonly app: INestApplication;
  readonly logger: CaptureLogger;
  readonly platform: HttpPlatform;
  /** `app.getHttpServer()`, for supertest. */
  readonly server: ReturnType<INestApplication['getHttpServer']>;
  close(): Promise<void>;
}

/** Modules, controllers and providers of the test app, beside CognitoAuthModule. */
export interface TestAppExtras {
  imports?: ModuleMetadata['imports'];
  controllers?: Type[];
  providers?: ModuleMetadata['providers'];
  /** Changes to the testing module before it compiles (`overrideGuard`, `overrideProvider`...). */
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
  /** Runs before `app.init()`: plugins and middleware (e.g. `app.register(fastifyCookie)` on Fastify). */
  beforeInit?: (app: INestApplication) => Promise<void> | void;
}

/**
 * Boots a Nest app with CognitoAuthModule and the probe routes, logging into a CaptureLogger, on
 * Express (the default) or Fastify. The library needs no cookie plugin on either: it parses the
 * `Cookie` header itself and writes `Set-Cookie` through the response (the reply on Fastify).
 */
export async function createTestApp(
  auth: CognitoAuthForRootOptions | { async: Parameters<typeof CognitoAuthModule.forRootAsync>[0] },
  extra: TestAppExtras = {},
  platform: HttpPlatform = 'express',
): Promise<TestApp> {
  const logger = new CaptureLogger();
  const authModule = 'async' in auth ? CognitoAuthModule.forRootAsync(auth.async) : CognitoAuthModule.forRoot(auth);
  const builder = Test.createTestingModule({
    imports: [...(extra.imports ?? []), authModule],
    controllers: extra.controllers ?? [ProbeController, GuardedController],
    providers: extra.providers ?? [],
  }).setLogger(logger);
  const moduleRef = await (extra.override ? extra.override(builder) : builder).compile();
  const app = platform === 'fastify' ? await fastifyApp(moduleRef, logger) : moduleRef.createNestApplication({ logger });
  await extra.beforeInit?.(app);
  await app.init();
  if (platform === 'fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  return { app, logger, platform, server: app.getHttpServer(), close: () => app.close() };
}

/**
 * A Fastify app. Fastify routes only the methods it was told about: Express's `@All()` answers
 * every method Node knows, so PURGE is added here for `@All()` routes to take it on both.
 */
async function fastifyApp(moduleRef: TestingModule, logger: CaptureLogger): Promise<INestApplication> {
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  const adapter = new FastifyAdapter();
  adapter.getInstance().addHttpMethod('PURGE', { hasBody: true });
  return moduleRef.createNestApplication(adapter, { logger });
}

/** Request headers carrying an ID + access pair the seed's way. */
export function seedHeaders(tokens: { accessToken: string; idToken: string; refreshToken?: string }): Record<string, string> {
  const headers: Record<string, string> = { ACCESSTOKEN: tokens.accessToken, IDTOKEN: tokens.idToken };
  if (tokens.refreshToken) headers.REFRESHTOKEN = tokens.refreshToken;
  return headers;
}
