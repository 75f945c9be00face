import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { AppModule } from './app.module.js';
import { describeDatabase, listenAddress } from './config.js';
import { setupOpenApi } from './openapi.js';

/**
 * Whether the guard refreshed the caller's tokens on this response: new tokens in the `ACCESSTOKEN`
 * header (header-borne tokens) or a new access token cookie (cookie-borne) outside the sign-in routes.
 */
function refreshed(req: Request, res: Response): boolean {
  if (req.path.startsWith('/auth/')) return false;
  if (res.getHeader('ACCESSTOKEN') !== undefined) return true;
  const cookies = res.getHeader('Set-Cookie');
  return (Array.isArray(cookies) ? cookies : [String(cookies ?? '')]).some((c) => /^(__Host-)?AccessToken=[^;]/.test(c));
}

/** One line per request: method, path (no query string), status, time. Never headers or cookies. */
function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.log(`${req.method} ${req.path} ${res.statusCode} ${ms.toFixed(1)} ms${refreshed(req, res) ? ' (tokens refreshed)' : ''}`);
    });
    next();
  };
}

async function bootstrap(): Promise<void> {
  const { port, host } = listenAddress();
  const app = await NestFactory.create(AppModule, { abortOnError: false });
  app.enableShutdownHooks();
  const express = app.getHttpAdapter().getInstance() as { disable(setting: string): void };
  express.disable('x-powered-by');
  app.use(requestLog(new Logger('HTTP')));
  setupOpenApi(app); // GET /docs-json (OpenAPI), GET /docs (Swagger UI)
  await app.listen(port, host);
  const shown = host === '127.0.0.1' || host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  new Logger('SampleApp').log(`Listening on http://${shown}:${port} (database ${describeDatabase()})`);
}

bootstrap().catch((error: unknown) => {
  // Start-up errors (bad settings name their variable) without a stack full of framework frames.
  console.error(`sample-app failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
