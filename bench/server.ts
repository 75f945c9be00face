/**
 * The bench app: one NestJS app on 127.0.0.1 answering the same small JSON on every route, each
 * route behind a different guard. Started by bench/run.ts as a child process (config in
 * BENCH_SERVER_CONFIG), it reports `{ type: 'ready', port }` over IPC and answers `cpu`, `mark`,
 * `info` and `shutdown` messages.
 *
 *   /baseline        no guard
 *   /noop-guard      a guard whose canActivate returns true at once: what any Nest guard costs
 *   /req-props       a guard that only leaves CognitoGuard's two request properties (state, req.user)
 *   /rs256           the bare RS256 check of the Bearer token (node:crypto), nothing else
 *   /rs256-pair      the bare RS256 check of ACCESSTOKEN and IDTOKEN
 *   /access          CognitoGuard, tokenUse 'access' (CognitoAuthModule.forRoot, @UseGuards)
 *   /id-access       CognitoGuard, tokenUse 'id+access'
 *   /sync-sqlite     CognitoGuard, 'id+access', user sync on SQLite (better-sqlite3), as shipped
 *                    (users.cacheTtlSeconds default 5)
 *   /sync-sqlite-nocache  the same with users.cacheTtlSeconds 0: one query per request (own file)
 *   /sync-postgres   CognitoGuard, 'id+access', user sync on PostgreSQL, as shipped
 *   /aws-jwt-verify  CognitoJwtVerifier (aws-jwt-verify), JWKS preloaded with cacheJwks
 *   /passport-jwt    @nestjs/passport + passport-jwt + jwks-rsa passportJwtSecret (cache on)
 *   /jose            jose createRemoteJWKSet + jwtVerify
 *   POST /graphql    `{ open }` (no guard) and `{ guarded }` (CognitoGuard, 'access'): Apollo
 *
 * Mode `full` is the Express app above. Mode `fastify` serves /baseline, /noop-guard, /req-props, /rs256,
 * /rs256-pair, /access, /id-access and /graphql (Mercurius) on the Fastify adapter. Mode `cold`
 * serves only /access and the three peers, with nothing preloaded but what the library loads at
 * start-up itself, for the cold-start storm.
 *
 * One app can hold only one CognitoAuthModule configuration, so the extra configurations
 * (/id-access, /sync-*) are modules that provide every class CognitoAuthModule exports next to
 * their own COGNITO_AUTH_SETTINGS (server-scopes.ts): Nest resolves a module's own providers first,
 * so each such route runs the unmodified CognitoGuard with its own settings, authenticator, caches
 * and DataSource (server-databases.ts). The IPC: server-protocol.ts, server-messages.ts.
 */
import 'reflect-metadata';
import { type CanActivate, type INestApplication, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthGuard, PassportModule } from '@nestjs/passport';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { CognitoAuthModule, CognitoGuard, JwtValidationService } from '../src/index.js';
import { libraryOptions } from './common.js';
import { BenchResolver, graphqlModule } from './graphql.js';
import { timeGuards } from './guard-timing.js';
import {
  AWS_VERIFIER,
  type AwsVerifier,
  AwsJwtVerifyGuard,
  BareRs256Guard,
  CognitoJwtStrategy,
  createAwsVerifier,
  fetchSigningKey,
  IDP_ADDRESS,
  JoseGuard,
  NoopGuard,
  RequestPropsGuard,
  SIGNING_KEY,
} from './guards.js';
import { onMessages, ROOT_JWT, send } from './server-messages.js';
import type { ServerConfig } from './server-protocol.js';
import { controller, fullScopes, idAccessScope } from './server-scopes.js';

const config = JSON.parse(process.env.BENCH_SERVER_CONFIG ?? '{}') as ServerConfig;

/** The app of the mode, listening on a loopback port; its routes. */
async function createApp(): Promise<{ app: INestApplication; routes: string[]; scopes: Type[] }> {
  const base = libraryOptions(config.idp);
  const fastify = config.mode === 'fastify';
  const cold = config.mode === 'cold';
  const awsVerifier = createAwsVerifier(config.idp);
  // aws-jwt-verify's documented preload: hand it the JWKS (fetched here from the provider).
  if (!cold)
    awsVerifier.cacheJwks(
      (await (await fetch(config.idp.jwksUri, { signal: AbortSignal.timeout(3000) })).json()) as Parameters<AwsVerifier['cacheJwks']>[0],
    );
  const scopes = config.mode === 'full' ? await fullScopes(base, config) : fastify ? [idAccessScope(base)] : [];
  const routes: string[] = [];
  const route = (path: string, guard?: Type<CanActivate> | CanActivate): Type => (routes.push(`/${path}`), controller(path, guard));
  const diagnostics = cold
    ? []
    : [
        route('baseline'),
        route('noop-guard', NoopGuard),
        route('req-props', RequestPropsGuard),
        route('rs256', BareRs256Guard),
        route('rs256-pair', BareRs256Guard),
      ];
  const controllers = [...diagnostics, route('access', CognitoGuard)];
  if (!fastify)
    controllers.push(route('aws-jwt-verify', AwsJwtVerifyGuard), route('passport-jwt', AuthGuard('cognito-jwt')), route('jose', JoseGuard));
  class AppModule {}
  Module({
    imports: [
      CognitoAuthModule.forRoot({ ...base, tokenUse: 'access', users: false, globalGuard: false }),
      PassportModule,
      ...(cold ? [] : [graphqlModule(fastify ? 'fastify' : 'express')]),
      ...scopes,
    ],
    controllers,
    providers: [
      ...(cold ? [] : [BenchResolver]),
      ...(fastify ? [] : [CognitoJwtStrategy]),
      { provide: IDP_ADDRESS, useValue: config.idp },
      { provide: AWS_VERIFIER, useValue: awsVerifier },
      { provide: SIGNING_KEY, useValue: cold ? undefined : await fetchSigningKey(config.idp) },
      { provide: ROOT_JWT, useExisting: JwtValidationService },
    ],
  })(AppModule);
  const options = { logger: ['error', 'warn'] as ('error' | 'warn')[] };
  const app = fastify ? await NestFactory.create(AppModule, new FastifyAdapter(), options) : await NestFactory.create(AppModule, options);
  await app.listen(0, '127.0.0.1');
  for (const scope of scopes) routes.push(`/${scope.name.replace(/^Scope_/, '').replace(/_/g, '-')}`);
  if (!cold) routes.push('/graphql');
  return { app, routes, scopes };
}

async function main(): Promise<void> {
  const started = performance.now();
  // The library's guard and the bare-signature yardstick, timed the same way (two hrtime reads each).
  timeGuards([CognitoGuard, BareRs256Guard]);
  const { app, routes, scopes } = await createApp();
  onMessages(app, scopes);
  const address = app.getHttpServer().address() as { port: number };
  send({ type: 'ready', port: address.port, routes, startupMs: Math.round(performance.now() - started) });
}

main().catch((err: unknown) => {
  send({ type: 'error', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  process.exit(1);
});
