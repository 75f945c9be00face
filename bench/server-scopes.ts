/**
 * The bench app's route modules: a controller per path, and the scopes, modules that serve one
 * path behind the library's own CognitoGuard with a CognitoAuthModule configuration of their own
 * (/id-access, /sync-sqlite, /sync-sqlite-nocache, /sync-postgres).
 */
import { type CanActivate, Controller, Get, Module, type Provider, type Type, UseGuards } from '@nestjs/common';
import { MODULE_METADATA } from '@nestjs/common/constants.js';
import type { DataSource } from 'typeorm';
import {
  COGNITO_AUTH_SETTINGS,
  COGNITO_STATE_STORE,
  CognitoAuthModule,
  type CognitoAuthModuleOptions,
  CognitoGuard,
  CognitoUser,
  InMemoryStateStore,
  resolveCognitoSettings,
} from '../src/index.js';
import { BODY } from './common.js';
import { openDataSource } from './server-databases.js';
import type { ServerConfig } from './server-protocol.js';

/** A controller answering `GET /<path>` with BODY, behind `guard` when given. */
export function controller(path: string, guard?: Type<CanActivate> | CanActivate): Type {
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

/**
 * Every class CognitoAuthModule both provides and exports (its services, context adapters, guard,
 * online session checker and health indicator), read from the module's own `@Module` metadata, so
 * a scope provides what the module provides, and a class the module gains reaches the scopes too.
 * A class a scope lacked would be resolved from the app's root CognitoAuthModule (it is global),
 * built on the root's settings and store instead of the scope's.
 *
 * Why scopes do not import `CognitoAuthModule.forRoot(...)` instead: the module is always global,
 * so each configuration would be one more global module exporting the same tokens, and which copy
 * the app module, the GraphQL resolver or CognitoAdminModule got would depend on import order;
 * every copy would also mark the whole app's routes for OpenAPI and check its `@Pools` with its
 * own settings, and take its settings and state store from the environment (COGNITO_REDIS_URL would
 * turn a scope's store into Redis); and the server reads each scope's caches with
 * `app.select(scope).get(X, { strict: true })`, which finds a module's own providers only.
 */
function libraryServices(): Type[] {
  const provided = new Set<unknown>(Reflect.getMetadata(MODULE_METADATA.PROVIDERS, CognitoAuthModule) as unknown[]);
  const exported = Reflect.getMetadata(MODULE_METADATA.EXPORTS, CognitoAuthModule) as unknown[];
  const services = exported.filter((e): e is Type => typeof e === 'function' && provided.has(e));
  if (!services.includes(CognitoGuard)) throw new Error('CognitoAuthModule metadata: CognitoGuard is not among its exported providers');
  return services;
}

const LIBRARY_SERVICES: readonly Type[] = libraryServices();

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

/** /id-access: CognitoGuard with tokenUse 'id+access', no user sync. */
export function idAccessScope(base: CognitoAuthModuleOptions): Type {
  return cognitoScope('id-access', { ...base, tokenUse: 'id+access', users: false });
}

/** The scopes of the full app: /id-access, and the user sync routes whose databases are configured. */
export async function fullScopes(base: CognitoAuthModuleOptions, config: ServerConfig): Promise<Type[]> {
  const scopes = [idAccessScope(base)];
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
