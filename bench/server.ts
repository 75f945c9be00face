/**
 * The bench app: one NestJS app (Express adapter) on 127.0.0.1 answering the same small JSON on
 * every route, each route behind a different guard. Started by bench/run.ts as a child process
 * (config in BENCH_SERVER_CONFIG), it reports `{ type: 'ready', port }` over IPC and answers
 * `info` and `shutdown` messages.
 *
 *   /baseline        no guard
 *   /access          CognitoGuard, tokenUse 'access' (CognitoAuthModule.forRoot, @UseGuards)
 *   /id-access       CognitoGuard, tokenUse 'id+access'
 *   /sync-sqlite     CognitoGuard, 'id+access', user sync on SQLite (better-sqlite3), as shipped
 *                    (users.cacheTtlSeconds default 5)
 *   /sync-sqlite-nocache  the same with users.cacheTtlSeconds 0: one query per request (own file)
 *   /sync-postgres   CognitoGuard, 'id+access', user sync on PostgreSQL, as shipped
 *   /noop-guard      a guard whose canActivate returns true at once: what any Nest guard costs
 *   /aws-jwt-verify  CognitoJwtVerifier (aws-jwt-verify), JWKS preloaded with cacheJwks
 *   /passport-jwt    @nestjs/passport + passport-jwt + jwks-rsa passportJwtSecret (cache on)
 *   /jose            jose createRemoteJWKSet + jwtVerify
 *
 * Mode `cold` serves only /access and the three peers, with nothing preloaded but what the
 * library loads at start-up itself, for the cold-start storm.
 *
 * One app can hold only one CognitoAuthModule configuration, so the extra configurations
 * (/id-access, /sync-*) are modules that provide the library's own classes (CognitoGuard,
 * JwtValidationService, TokenRefreshService, UserSyncService, CognitoSessionService) next to
 * their own COGNITO_AUTH_SETTINGS: Nest resolves a module's own providers first, so each such
 * route runs the unmodified CognitoGuard with its own settings, caches and DataSource.
 */
import 'reflect-metadata';
import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  Inject,
  Injectable,
  Module,
  type Provider,
  type Type,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { passportJwtSecret } from 'jwks-rsa';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { DataSource, type DataSourceOptions, type Logger as TypeOrmLogger } from 'typeorm';
import {
  COGNITO_AUTH_SETTINGS,
  CognitoAuthModule,
  type CognitoAuthModuleOptions,
  CognitoGuard,
  CognitoSessionService,
  CognitoUser,
  JwtValidationService,
  resolveCognitoSettings,
  TokenRefreshService,
  UserSyncService,
} from '../src/index.js';
import { AWS_ISSUER, AWS_JWKS_URI, BODY, CLIENT_ID, type IdpAddress, libraryOptions, POOL_ID } from './common.js';

/** What bench/run.ts hands the server (JSON in BENCH_SERVER_CONFIG). */
export interface ServerConfig {
  readonly mode: 'full' | 'cold';
  readonly idp: IdpAddress;
  /** SQLite file for /sync-sqlite (full mode); /sync-sqlite-nocache uses `${sqliteFile}-nocache`. */
  readonly sqliteFile?: string;
  /** A fresh PostgreSQL database for /sync-postgres; absent: the route is not served. */
  readonly pg?: { host: string; port: number; user: string; password?: string; database: string; poolSize: number };
}

/** Messages the server sends its parent. */
export type ServerMessage =
  | { type: 'ready'; port: number; routes: string[]; startupMs: number }
  | { type: 'cpu'; cpuUs: number; queries: Record<string, number> }
  | { type: 'info'; rss: number; heapUsed: number; tokenCache: Record<string, number>; userCache: Record<string, number>; rows: Record<string, number> }
  | { type: 'error'; message: string };

const config = JSON.parse(process.env.BENCH_SERVER_CONFIG ?? '{}') as ServerConfig;
const AWS_VERIFIER = Symbol('AWS_VERIFIER');
/** The JwtValidationService of the app's CognitoAuthModule (the one behind /access). */
const ROOT_JWT = Symbol('ROOT_JWT');

function send(message: ServerMessage): void {
  process.send?.(message);
}

function bearer(req: { headers: Record<string, string | string[] | undefined> }): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string' || !h.startsWith('Bearer ')) return undefined;
  return h.slice(7).trim() || undefined;
}

// ----------------------------------------------------------------------------------- peers

/**
 * aws-jwt-verify: `CognitoJwtVerifier.create({ userPoolId, tokenUse: 'access', clientId })` as its
 * README shows. Its JWKS URI is derived from the pool id (AWS); its fetcher (only used for a
 * JWKS it does not hold) is pointed at the local provider so nothing leaves the machine.
 */
function createAwsVerifier(idp: IdpAddress) {
  const fetcher = {
    fetch: async (uri: string): Promise<ArrayBuffer> => {
      if (uri !== AWS_JWKS_URI) throw new Error(`unexpected JWKS URI ${uri}`);
      const res = await fetch(idp.jwksUri, { signal: AbortSignal.timeout(3000) });
      if (res.status !== 200) throw new Error(`JWKS answered ${res.status}`);
      return res.arrayBuffer();
    },
  };
  return CognitoJwtVerifier.create(
    { userPoolId: POOL_ID, tokenUse: 'access', clientId: CLIENT_ID },
    { jwksCache: new SimpleJwksCache({ fetcher }) },
  );
}
type AwsVerifier = ReturnType<typeof createAwsVerifier>;

@Injectable()
class AwsJwtVerifyGuard implements CanActivate {
  constructor(@Inject(AWS_VERIFIER) private readonly verifier: AwsVerifier) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest();
    const token = bearer(req);
    if (!token) throw new UnauthorizedException();
    try {
      req.user = await this.verifier.verify(token);
      return true;
    } catch {
      throw new UnauthorizedException();
    }
  }
}

/** jose alone: a remote JWKS set (cached by jose) and jwtVerify with the same checks. */
@Injectable()
class JoseGuard implements CanActivate {
  private readonly jwks = createRemoteJWKSet(new URL(config.idp.jwksUri), { timeoutDuration: 3000 });

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest();
    const token = bearer(req);
    if (!token) throw new UnauthorizedException();
    try {
      const { payload } = await jwtVerify(token, this.jwks, { issuer: AWS_ISSUER, algorithms: ['RS256'], requiredClaims: ['exp', 'iat'] });
      if (payload.token_use !== 'access' || payload.client_id !== CLIENT_ID) throw new Error('not an access token of the client');
      req.user = payload;
      return true;
    } catch {
      throw new UnauthorizedException();
    }
  }
}

/** The usual NestJS + Cognito recipe: passport-jwt with jwks-rsa's passportJwtSecret (key cache on). */
@Injectable()
class CognitoJwtStrategy extends PassportStrategy(Strategy, 'cognito-jwt') {
  constructor() {
    super({
      secretOrKeyProvider: passportJwtSecret({
        cache: true,
        rateLimit: true,
        jwksRequestsPerMinute: 10,
        jwksUri: config.idp.jwksUri,
      }),
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      issuer: AWS_ISSUER,
      algorithms: ['RS256'],
    });
  }

  validate(payload: Record<string, unknown>): Record<string, unknown> {
    if (payload.token_use !== 'access' || payload.client_id !== CLIENT_ID) throw new UnauthorizedException();
    return payload;
  }
}

/** Does nothing: the floor every guard pays (Nest's guard machinery, one async hop). */
@Injectable()
class NoopGuard implements CanActivate {
  async canActivate(): Promise<boolean> {
    return true;
  }
}

// ---------------------------------------------------------------------------------- routes

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

/** A module serving `path` behind the library's own CognitoGuard with its own settings. */
function cognitoScope(path: string, options: CognitoAuthModuleOptions): Type {
  const settings = resolveCognitoSettings(options, () => undefined);
  const providers: Provider[] = [
    { provide: COGNITO_AUTH_SETTINGS, useValue: settings },
    JwtValidationService,
    TokenRefreshService,
    UserSyncService,
    CognitoSessionService,
    CognitoGuard,
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

async function openDataSource(name: string, options: DataSourceOptions): Promise<DataSource> {
  const logger = new CountingLogger();
  counters.set(name, logger);
  const ds = new DataSource({ ...options, entities: [CognitoUser], synchronize: true, logger } as DataSourceOptions);
  await ds.initialize();
  return ds;
}

async function main(): Promise<void> {
  const started = performance.now();
  const base = libraryOptions(config.idp);
  const full = config.mode === 'full';

  const awsVerifier = createAwsVerifier(config.idp);
  if (full) {
    // aws-jwt-verify's documented preload: hand it the JWKS (fetched here from the provider).
    const res = await fetch(config.idp.jwksUri, { signal: AbortSignal.timeout(3000) });
    awsVerifier.cacheJwks((await res.json()) as Parameters<AwsVerifier['cacheJwks']>[0]);
  }

  const dataSources = new Map<string, DataSource>();
  const scopes: Type[] = [];
  const routes = ['/baseline', '/noop-guard', '/access', '/aws-jwt-verify', '/passport-jwt', '/jose'];
  if (full) {
    scopes.push(cognitoScope('id-access', { ...base, tokenUse: 'id+access', users: false }));
    routes.push('/id-access');
    if (config.sqliteFile) {
      const ds = await openDataSource('sqlite', { type: 'better-sqlite3', database: config.sqliteFile });
      dataSources.set('sqlite', ds);
      scopes.push(cognitoScope('sync-sqlite', { ...base, tokenUse: 'id+access', users: { entity: CognitoUser, dataSource: ds } }));
      routes.push('/sync-sqlite');
      // The same without the user cache: the cost of one query per request stays visible.
      const noCacheDs = await openDataSource('sqlite-nocache', { type: 'better-sqlite3', database: `${config.sqliteFile}-nocache` });
      dataSources.set('sqlite-nocache', noCacheDs);
      scopes.push(
        cognitoScope('sync-sqlite-nocache', { ...base, tokenUse: 'id+access', users: { entity: CognitoUser, dataSource: noCacheDs, cacheTtlSeconds: 0 } }),
      );
      routes.push('/sync-sqlite-nocache');
    }
    if (config.pg) {
      const { host, port, user, password, database, poolSize } = config.pg;
      const ds = await openDataSource('postgres', { type: 'postgres', host, port, username: user, password, database, poolSize });
      dataSources.set('postgres', ds);
      scopes.push(cognitoScope('sync-postgres', { ...base, tokenUse: 'id+access', users: { entity: CognitoUser, dataSource: ds } }));
      routes.push('/sync-postgres');
    }
  }

  class AppModule {}
  Module({
    imports: [
      CognitoAuthModule.forRoot({ ...base, tokenUse: 'access', users: false, globalGuard: false }),
      PassportModule,
      ...scopes,
    ],
    controllers: [
      controller('baseline'),
      controller('noop-guard', NoopGuard),
      controller('access', CognitoGuard),
      controller('aws-jwt-verify', AwsJwtVerifyGuard),
      controller('passport-jwt', AuthGuard('cognito-jwt')),
      controller('jose', JoseGuard),
    ],
    providers: [
      CognitoJwtStrategy,
      { provide: AWS_VERIFIER, useValue: awsVerifier },
      { provide: ROOT_JWT, useExisting: JwtValidationService },
    ],
  })(AppModule);

  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };

  const userCaches = (): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const scope of scopes) {
      const users = app.select(scope).get(UserSyncService, { strict: true });
      if (users.enabled) out[scope.name.replace(/^Scope_/, '')] = users.cachedUserCount;
    }
    return out;
  };

  const tokenCaches = (): Record<string, number> => {
    const out: Record<string, number> = { access: app.get<JwtValidationService>(ROOT_JWT).cachedTokenCount };
    for (const scope of scopes) {
      out[scope.name.replace(/^Scope_/, '')] = app.select(scope).get(JwtValidationService, { strict: true }).cachedTokenCount;
    }
    return out;
  };

  process.on('message', (msg: { type: string }) => {
    if (msg.type === 'cpu') {
      const { user, system } = process.cpuUsage();
      send({ type: 'cpu', cpuUs: user + system, queries: Object.fromEntries([...counters].map(([k, v]) => [k, v.queries])) });
    } else if (msg.type === 'info') {
      void (async () => {
        const rows: Record<string, number> = {};
        for (const [name, ds] of dataSources) rows[name] = await ds.getRepository(CognitoUser).count();
        const mem = process.memoryUsage();
        send({ type: 'info', rss: mem.rss, heapUsed: mem.heapUsed, tokenCache: tokenCaches(), userCache: userCaches(), rows });
      })().catch((err: unknown) => send({ type: 'error', message: String(err) }));
    } else if (msg.type === 'shutdown') {
      const stop = setTimeout(() => process.exit(0), 5000);
      stop.unref();
      void (async () => {
        await app.close().catch(() => undefined);
        for (const ds of dataSources.values()) await ds.destroy().catch(() => undefined);
        process.exit(0);
      })();
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port: address.port, routes, startupMs: Math.round(performance.now() - started) });
}

main().catch((err: unknown) => {
  send({ type: 'error', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  process.exit(1);
});
