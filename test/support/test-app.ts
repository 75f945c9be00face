import { Body, Controller, Delete, Get, HttpCode, type INestApplication, type ModuleMetadata, Param, Post, Type, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
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

/** What `createTestApp` returns. */
export interface TestApp {
  readonly app: INestApplication;
  readonly logger: CaptureLogger;
  /** `app.getHttpServer()`, for supertest. */
  readonly server: ReturnType<INestApplication['getHttpServer']>;
  close(): Promise<void>;
}

/** Boots a Nest app with CognitoAuthModule and the probe routes, logging into a CaptureLogger. */
export async function createTestApp(
  auth: CognitoAuthForRootOptions | { async: Parameters<typeof CognitoAuthModule.forRootAsync>[0] },
  extra: { imports?: ModuleMetadata['imports']; controllers?: Type[]; providers?: ModuleMetadata['providers'] } = {},
): Promise<TestApp> {
  const logger = new CaptureLogger();
  const authModule = 'async' in auth ? CognitoAuthModule.forRootAsync(auth.async) : CognitoAuthModule.forRoot(auth);
  const moduleRef = await Test.createTestingModule({
    imports: [...(extra.imports ?? []), authModule],
    controllers: extra.controllers ?? [ProbeController, GuardedController],
    providers: extra.providers ?? [],
  })
    .setLogger(logger)
    .compile();
  const app = moduleRef.createNestApplication({ logger });
  await app.init();
  return { app, logger, server: app.getHttpServer(), close: () => app.close() };
}

/** Request headers carrying an ID + access pair the seed's way. */
export function seedHeaders(tokens: { accessToken: string; idToken: string; refreshToken?: string }): Record<string, string> {
  const headers: Record<string, string> = { ACCESSTOKEN: tokens.accessToken, IDTOKEN: tokens.idToken };
  if (tokens.refreshToken) headers.REFRESHTOKEN = tokens.refreshToken;
  return headers;
}
