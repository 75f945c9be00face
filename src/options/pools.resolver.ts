import { CognitoConfigError } from '../errors/cognito-auth.errors.js';
import type { CognitoAuthModuleOptions, CognitoAuthSettings, ResolvedPoolSettings } from './cognito-auth.options.js';
import { type PoolFields, resolvePool } from './pool.resolver.js';
import { missingName, type SettingsReader, type Sourced } from './settings.reader.js';

/** The name of the pool given by `userPoolId` / `COGNITO_POOL_ID` (and of the only pool of a single-pool app). */
export const DEFAULT_POOL_NAME = 'default';

const POOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const ENTRY_FIELDS: ReadonlySet<string> = new Set([
  'name',
  'userPoolId',
  'clientId',
  'clientSecret',
  'region',
  'endpoint',
  'issuer',
  'jwksUri',
  'replicaRegions',
]);
const LIST_EXAMPLE = '[{"name":"staff","userPoolId":"eu-west-1_AbC123","clientId":"1example23456789"}]';

/** The pool fields of the settings: every pool, and the first pool's (or all pools') values at the top level. */
export type PoolSettings = Pick<
  CognitoAuthSettings,
  'userPoolId' | 'clientIds' | 'clientSecrets' | 'region' | 'endpoint' | 'issuers' | 'jwksUri'
> & {
  readonly pools: readonly ResolvedPoolSettings[];
};

/**
 * Every user pool: the module's own (`userPoolId` / `COGNITO_POOL_ID` and the fields beside it),
 * named `default`, then those of `pools` / `COGNITO_POOLS` in order. Without a list the module's
 * own pool is required, as it always was. Two pools with one name, one issuer or one app client
 * stop start-up: a token must name exactly one pool, and a refresh exactly one client.
 */
export function resolvePools(o: CognitoAuthModuleOptions, reader: SettingsReader): PoolSettings {
  const listed = readPoolList(o, reader);
  const ownPoolId = reader.str('userPoolId', o.userPoolId, ['COGNITO_POOL_ID']);
  const pools: ResolvedPoolSettings[] = [];
  if (ownPoolId || !listed) pools.push(resolvePool(DEFAULT_POOL_NAME, moduleFields(o, reader, ownPoolId)));
  else refuseStrayFields(o, reader);
  listed?.value.forEach((entry, i) => pools.push(resolveEntry(entry, `${listed.source}[${i}]`)));
  checkDistinct(pools, listed?.source ?? 'pools');
  const first = pools[0];
  return {
    pools: Object.freeze(pools),
    userPoolId: first.userPoolId,
    clientIds: pools.flatMap((p) => p.clientIds),
    clientSecrets: new Map(pools.flatMap((p) => [...p.clientSecrets])),
    region: first.region,
    endpoint: first.endpoint,
    issuers: pools.flatMap(acceptedIssuers),
    jwksUri: first.jwksUri,
  };
}

/**
 * The pools of settings: `settings.pools`, or, for settings built by hand without it, the one
 * pool the top-level fields describe, named `default`.
 */
export function poolsOf(settings: CognitoAuthSettings): readonly ResolvedPoolSettings[] {
  if (settings.pools && settings.pools.length > 0) return settings.pools;
  const { userPoolId, clientIds, clientSecrets, region, endpoint, issuers, jwksUri } = settings;
  return [{ name: DEFAULT_POOL_NAME, userPoolId, clientIds, clientSecrets, region, endpoint, issuers, jwksUri, replicas: [] }];
}

/** Every issuer a pool's tokens may carry: its own forms, then its replicas'. */
export function acceptedIssuers(pool: ResolvedPoolSettings): string[] {
  return [...pool.issuers, ...pool.replicas.map((r) => r.issuer)];
}

/** `pools`, else `COGNITO_POOLS` parsed; an empty list counts as none. The environment's value is never echoed (it may hold secrets). */
function readPoolList(o: CognitoAuthModuleOptions, reader: SettingsReader): Sourced<readonly unknown[]> | undefined {
  let list: Sourced<unknown>;
  if (o.pools !== undefined) {
    list = { value: o.pools, source: 'pools' };
  } else {
    const raw = reader.read(['COGNITO_POOLS']);
    if (!raw) return undefined;
    try {
      list = { value: JSON.parse(raw.value) as unknown, source: raw.source };
    } catch {
      throw new CognitoConfigError(raw.source, `must be a JSON list of pools, e.g. ${LIST_EXAMPLE}`);
    }
  }
  if (!Array.isArray(list.value)) throw new CognitoConfigError(list.source, `must be a list of pools, e.g. ${LIST_EXAMPLE}`);
  return list.value.length > 0 ? { value: list.value, source: list.source } : undefined;
}

/** The module's own pool: options, else django-cognito-redux's environment variables. */
function moduleFields(o: CognitoAuthModuleOptions, reader: SettingsReader, poolId: Sourced<string> | undefined): PoolFields {
  return {
    userPoolId: poolId ?? { value: undefined, source: 'COGNITO_POOL_ID' },
    clientId:
      o.clientId !== undefined
        ? { value: o.clientId, source: 'clientId' }
        : (reader.read(['APP_CLIENT_ID']) ?? { value: undefined, source: missingName(poolId, 'clientId', 'APP_CLIENT_ID') }),
    clientSecret:
      o.clientSecret !== undefined
        ? { value: o.clientSecret, source: 'clientSecret' }
        : reader.read(['APP_CLIENT_SECRET', 'APP_SECRET_KEY']),
    region: reader.str('region', o.region, ['COGNITO_REGION']),
    endpoint: reader.str('endpoint', o.endpoint, ['COGNITO_ENDPOINT']),
    issuer: reader.str('issuer', o.issuer, ['COGNITO_ISSUER']),
    jwksUri: reader.str('jwksUri', o.jwksUri, ['COGNITO_JWKS_URI']),
    replicaRegions:
      o.replicaRegions !== undefined ? { value: o.replicaRegions, source: 'replicaRegions' } : reader.read(['COGNITO_REPLICA_REGIONS']),
  };
}

/** The module-level pool fields, each with its environment variables. */
const MODULE_POOL_FIELDS: ReadonlyArray<[keyof CognitoAuthModuleOptions, readonly string[]]> = [
  ['clientId', ['APP_CLIENT_ID']],
  ['clientSecret', ['APP_CLIENT_SECRET', 'APP_SECRET_KEY']],
  ['region', ['COGNITO_REGION']],
  ['endpoint', ['COGNITO_ENDPOINT']],
  ['issuer', ['COGNITO_ISSUER']],
  ['jwksUri', ['COGNITO_JWKS_URI']],
  ['replicaRegions', ['COGNITO_REPLICA_REGIONS']],
];

/** With a list and no pool id of its own, a module-level pool field would belong to no pool: say so rather than drop it. */
function refuseStrayFields(o: CognitoAuthModuleOptions, reader: SettingsReader): void {
  for (const [option, envNames] of MODULE_POOL_FIELDS) {
    const source = o[option] !== undefined ? option : reader.read(envNames)?.source;
    if (source !== undefined) {
      throw new CognitoConfigError(
        source,
        'describes the default pool, which needs userPoolId (COGNITO_POOL_ID); with pools (COGNITO_POOLS), set it on each pool instead',
      );
    }
  }
}

/** One listed pool, its errors named `pools[i].field` (or `COGNITO_POOLS[i].field`). */
function resolveEntry(entry: unknown, prefix: string): ResolvedPoolSettings {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new CognitoConfigError(prefix, 'must be an object { name, userPoolId, clientId, ... }');
  }
  const fields = entry as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!ENTRY_FIELDS.has(key)) throw new CognitoConfigError(`${prefix}.${key}`, `is not a pool field (${[...ENTRY_FIELDS].join(', ')})`);
  }
  const name = fields.name;
  if (typeof name !== 'string' || !POOL_NAME.test(name)) {
    throw new CognitoConfigError(`${prefix}.name`, `must be 1 to 64 letters, digits or "_.-" (got ${JSON.stringify(name) ?? 'nothing'})`);
  }
  const raw = (field: string): Sourced<unknown> => ({ value: fields[field], source: `${prefix}.${field}` });
  const str = (field: string): Sourced<string> | undefined => {
    const { value, source } = raw(field);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '') throw new CognitoConfigError(source, 'must be a non-empty string');
    return { value: value.trim(), source };
  };
  const userPoolId = str('userPoolId') ?? { value: undefined, source: `${prefix}.userPoolId` };
  return resolvePool(name, {
    userPoolId,
    clientId: raw('clientId'),
    clientSecret: raw('clientSecret'),
    region: str('region'),
    endpoint: str('endpoint'),
    issuer: str('issuer'),
    jwksUri: str('jwksUri'),
    replicaRegions: raw('replicaRegions'),
  });
}

/** One name, one issuer and one app client per pool. */
function checkDistinct(pools: readonly ResolvedPoolSettings[], source: string): void {
  const names = new Set<string>();
  const issuers = new Map<string, string>();
  const clients = new Map<string, string>();
  for (const pool of pools) {
    if (names.has(pool.name)) {
      const hint = pool.name === DEFAULT_POOL_NAME ? ' (the pool of userPoolId / COGNITO_POOL_ID is named "default")' : '';
      throw new CognitoConfigError(source, `two pools are named "${pool.name}"${hint}`);
    }
    names.add(pool.name);
    for (const issuer of acceptedIssuers(pool)) {
      const other = issuers.get(issuer);
      if (other !== undefined && other !== pool.name) {
        throw new CognitoConfigError(
          source,
          `pools "${other}" and "${pool.name}" have one issuer, ${issuer}: a token could not tell which pool it is from`,
        );
      }
      issuers.set(issuer, pool.name);
    }
    for (const client of pool.clientIds) {
      const other = clients.get(client);
      if (other !== undefined)
        throw new CognitoConfigError(source, `pools "${other}" and "${pool.name}" both list the app client "${client}"`);
      clients.set(client, pool.name);
    }
  }
}
