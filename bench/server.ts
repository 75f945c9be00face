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
 * (/id-access, /sync-*) are modules that provide every class of the library next to their own
 * COGNITO_AUTH_SETTINGS: Nest resolves a module's own providers first, so each such route runs
 * the unmodified CognitoGuard with its own settings, authenticator, caches and DataSource.
 */
import 'reflect-metadata';
import { PerformanceObserver } from 'node:perf_hooks';
import { type CanActivate, Controller, Get, type INestApplication, Module, type Provider, type Type, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthGuard, PassportModule } from '@nestjs/passport';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DataSource, type DataSourceOptions, type Logger as TypeOrmLogger } from 'typeorm';
import {
  COGNITO_AUTH_SETTINGS,
  COGNITO_STATE_STORE,
  CognitoAuthenticator,
  CognitoAuthModule,
  type CognitoAuthModuleOptions,
  CognitoContexts,
  CognitoGuard,
  CognitoRevocationService,
  CognitoSessionService,
  CognitoUser,
  GraphqlContextAdapter,
  HttpContextAdapter,
  InMemoryStateStore,
  JwtValidationService,
  resolveCognitoSettings,
  RpcContextAdapter,
  TokenRefreshService,
  UserSyncService,
  WsContextAdapter,
} from '../src/index.js';
import { BODY, type IdpAddress, libraryOptions } from './common.js';
import { BenchResolver, graphqlModule } from './graphql.js';
import { takeGuardTimes, timeGuards } from './guard-timing.js';
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

/** What bench/run.ts hands the server (JSON in BENCH_SERVER_CONFIG). */
export interface ServerConfig {
  readonly mode: 'full' | 'cold' | 'fastify';
  readonly idp: IdpAddress;
  /** SQLite file for /sync-sqlite (full mode); /sync-sqlite-nocache uses `${sqliteFile}-nocache`. */
  readonly sqliteFile?: string;
  /** A fresh PostgreSQL database for /sync-postgres; absent: the route is not served. */
  readonly pg?: { host: string; port: number; user: string; password?: string; database: string; poolSize: number };
}

/** Messages the server sends its parent. */
export type ServerMessage =
  | { type: 'ready'; port: number; routes: string[]; startupMs: number }
  | {
      type: 'cpu';
      cpuUs: number;
      userUs: number;
      gcUs: number;
      queries: Record<string, number>;
      /** Per route path, since the previous 'cpu' message: synchronous canActivate calls and their median wall time. */
      guards: Record<string, { calls: number; medianNs: number }>;
    }
  | { type: 'mark'; monotonicUs: number }
  | {
      type: 'info';
      rss: number;
      heapUsed: number;
      tokenCache: Record<string, number>;
      userCache: Record<string, number>;
      rows: Record<string, number>;
    }
  | { type: 'error'; message: string };

const config = JSON.parse(process.env.BENCH_SERVER_CONFIG ?? '{}') as ServerConfig;
/** The JwtValidationService of the app's CognitoAuthModule (the one behind /access). */
const ROOT_JWT = Symbol('ROOT_JWT');

function send(message: ServerMessage): void {
  process.send?.(message);
}

function controller(path: string, guard?: Type<CanActivate> | CanActivate): Type {
  @Controller(path)
  class RouteController {
    @Get()
    get(): typeof BODY {
      return BODY;
    }
  }
  if (guard) UseGuards(guard)(RouteController);
  Object.defineProperty(RouteController, 'name', { value: `Route_${path.replace(/\W/g, '_')}` });
  return RouteController;
}

/** Every injectable class CognitoAuthModule provides, so a scope's guard uses none of the root module's. */
const LIBRARY_SERVICES: Provider[] = [
  CognitoRevocationService,
  JwtValidationService,
  TokenRefreshService,
  UserSyncService,
  CognitoSessionService,
  CognitoAuthenticator,
  HttpContextAdapter,
  GraphqlContextAdapter,
  WsContextAdapter,
  RpcContextAdapter,
  CognitoContexts,
  CognitoGuard,
];

/** A module serving `path` behind the library's own CognitoGuard with its own settings. */
function cognitoScope(path: string, options: CognitoAuthModuleOptions): Type {
  const settings = resolveCognitoSettings(options, () => undefined);
  const providers: Provider[] = [
    { provide: COGNITO_AUTH_SETTINGS, useValue: settings },
    { provide: COGNITO_STATE_STORE, useValue: new InMemoryStateStore() },
    ...LIBRARY_SERVICES,
  ];
  class Scope {}
  Object.defineProperty(Scope, 'name', { value: `Scope_${path.replace(/\W/g, '_')}` });
  Module({ controllers: [controller(path, CognitoGuard)], providers })(Scope);
  return Scope;
}

/** Counts the SQL statements a DataSource runs (TypeORM hands every one to its logger). */
class CountingLogger implements TypeOrmLogger {
  queries = 0;
  logQuery(): void {
    this.queries++;
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

const counters = new Map<string, CountingLogger>();

/** Time spent in garbage collection since start-up, µs (what the new-token routes pay for what they keep). */
let gcUs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcUs += entry.duration * 1000;
}).observe({ entryTypes: ['gc'] });
const dataSources = new Map<string, DataSource>();

async function openDataSource(name: string, options: DataSourceOptions): Promise<DataSource> {
  const logger = new CountingLogger();
  counters.set(name, logger);
  const ds = new DataSource({ ...options, entities: [CognitoUser], synchronize: true, logger } as DataSourceOptions);
  await ds.initialize();
  dataSources.set(name, ds);
  return ds;
}

/** The scopes of the full app: /id-access, and the user sync routes whose databases are configured. */
async function fullScopes(base: CognitoAuthModuleOptions): Promise<Type[]> {
  const scopes = [cognitoScope('id-access', { ...base, tokenUse: 'id+access', users: false })];
  const sync = (path: string, dataSource: DataSource, cacheTtlSeconds?: number): Type =>
    cognitoScope(path, {
      ...base,
      tokenUse: 'id+access',
      users: { entity: CognitoUser, dataSource, ...(cacheTtlSeconds === undefined ? {} : { cacheTtlSeconds }) },
    });
  if (config.sqliteFile) {
    scopes.push(sync('sync-sqlite', await openDataSource('sqlite', { type: 'better-sqlite3', database: config.sqliteFile })));
    // The same without the user cache: the cost of one query per request stays visible.
    scopes.push(
      sync(
        'sync-sqlite-nocache',
        await openDataSource('sqlite-nocache', { type: 'better-sqlite3', database: `${config.sqliteFile}-nocache` }),
        0,
      ),
    );
  }
  if (config.pg) {
    const { host, port, user, password, database, poolSize } = config.pg;
    scopes.push(
      sync(
        'sync-postgres',
        await openDataSource('postgres', { type: 'postgres', host, port, username: user, password, database, poolSize }),
      ),
    );
  }
  return scopes;
}

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
  const scopes =
    config.mode === 'full'
      ? await fullScopes(base)
      : fastify
        ? [cognitoScope('id-access', { ...base, tokenUse: 'id+access', users: false })]
        : [];
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

function onMessages(app: INestApplication, scopes: Type[]): void {
  const perScope = (read: (scope: Type) => number | undefined): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const scope of scopes) {
      const value = read(scope);
      if (value !== undefined) out[scope.name.replace(/^Scope_/, '')] = value;
    }
    return out;
  };
  const userCaches = () =>
    perScope((s) =>
      app.select(s).get(UserSyncService, { strict: true }).enabled
        ? app.select(s).get(UserSyncService, { strict: true }).cachedUserCount
        : undefined,
    );
  const tokenCaches = () => ({
    access: app.get<JwtValidationService>(ROOT_JWT).cachedTokenCount,
    ...perScope((s) => app.select(s).get(JwtValidationService, { strict: true }).cachedTokenCount),
  });
  process.on('message', (msg: { type: string }) => {
    if (msg.type === 'mark') {
      // The V8 CPU profiler's timestamps are CLOCK_MONOTONIC µs, as process.hrtime: a profile can be cut to a load window.
      send({ type: 'mark', monotonicUs: Number(process.hrtime.bigint() / 1000n) });
    } else if (msg.type === 'cpu') {
      const { user, system } = process.cpuUsage();
      send({
        guards: takeGuardTimes(),
        type: 'cpu',
        cpuUs: user + system,
        userUs: user,
        gcUs,
        queries: Object.fromEntries([...counters].map(([k, v]) => [k, v.queries])),
      });
    } else if (msg.type === 'info') {
      void (async () => {
        const rows: Record<string, number> = {};
        for (const [name, ds] of dataSources) rows[name] = await ds.getRepository(CognitoUser).count();
        const mem = process.memoryUsage();
        send({ type: 'info', rss: mem.rss, heapUsed: mem.heapUsed, tokenCache: tokenCaches(), userCache: userCaches(), rows });
      })().catch((err: unknown) => send({ type: 'error', message: String(err) }));
    } else if (msg.type === 'shutdown') {
      setTimeout(() => process.exit(0), 5000).unref();
      void (async () => {
        await app.close().catch(() => undefined);
        for (const ds of dataSources.values()) await ds.destroy().catch(() => undefined);
        process.exit(0);
      })();
    }
  });
  process.on('disconnect', () => process.exit(0));
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
