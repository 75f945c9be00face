import { CognitoConfigError } from '../errors/cognito-auth.errors.js';
import type { ResolvedPoolSettings, ResolvedReplicaIssuer } from './cognito-auth.options.js';
import { checkUrl, type Sourced } from './settings.reader.js';

/**
 * `<region>_<id>` with the region of any AWS partition: `us-east-1`, `us-gov-west-1`,
 * `cn-northwest-1`, `us-isob-east-1`, `eusc-de-east-1` (the European Sovereign Cloud),
 * `ap-southeast-5`...
 */
const AWS_POOL_ID = /^([a-z]{2,5}(?:-[a-z]+){1,3}-\d{1,2})_[A-Za-z0-9]+$/;
const AWS_REGION_NAME = /^[a-z]{2,5}(?:-[a-z]+){1,3}-\d{1,2}$/;
/** With a custom endpoint (cognito-local's `local_…`, a test provider) any prefix goes. */
const ANY_POOL_ID = /^([A-Za-z0-9-]+)_[A-Za-z0-9]+$/;
const REGION_NAME = /^[a-z0-9-]+$/;
const CLIENT_ID = /^[\w+.-]+$/;

/**
 * One pool's raw fields and the names errors give them: the option or environment variable for
 * the module's own pool, `pools[1].clientId` or `COGNITO_POOLS[1].clientId` for a listed one. A
 * field left out is `undefined`, or (for the two that have a "required" error) a `Sourced`
 * holding `undefined` so that the error can still name it.
 */
export interface PoolFields {
  readonly userPoolId: Sourced<string | undefined>;
  readonly clientId: Sourced<unknown>;
  readonly clientSecret: Sourced<unknown> | undefined;
  readonly region: Sourced<string> | undefined;
  readonly endpoint: Sourced<string> | undefined;
  readonly issuer: Sourced<string> | undefined;
  readonly jwksUri: Sourced<string> | undefined;
  readonly replicaRegions: Sourced<unknown> | undefined;
}

/** The pool id, where Cognito is reached, and in which region. */
interface PoolPlace {
  readonly userPoolId: string;
  readonly endpoint: string | undefined;
  readonly region: string;
  /** The region in the pool id, when the pool id has one (every AWS pool id does). */
  readonly poolRegion: string | undefined;
}

/** Checks one pool's fields and resolves its clients, issuers and key sets. Secrets never appear in errors. */
export function resolvePool(name: string, f: PoolFields): ResolvedPoolSettings {
  const place = resolvePlace(f);
  const clientIds = resolveClientIds(f.clientId);
  const clientSecrets = resolveClientSecrets(f.clientSecret, clientIds, f.clientId.source);
  const { issuers, jwksUri } = resolveIssuers(f, place);
  const replicas = resolveReplicas(f.replicaRegions, place);
  return Object.freeze({
    name,
    userPoolId: place.userPoolId,
    clientIds: Object.freeze(clientIds),
    clientSecrets,
    region: place.region,
    endpoint: place.endpoint,
    issuers: Object.freeze(issuers),
    jwksUri,
    replicas: Object.freeze(replicas),
  });
}

/**
 * The pool id, the endpoint and the region. The region of an AWS pool is its id's prefix: a
 * `region` (`COGNITO_REGION`) saying otherwise stops start-up, and `AWS_REGION` (the compute's
 * region on Lambda and ECS) is never read.
 */
function resolvePlace(f: PoolFields): PoolPlace {
  const pool = f.userPoolId;
  if (pool.value === undefined) {
    const where = pool.source === 'COGNITO_POOL_ID' ? ' (userPoolId option or COGNITO_POOL_ID, or pools / COGNITO_POOLS)' : '';
    throw new CognitoConfigError(pool.source, `the user pool id is required${where}`);
  }
  const endpoint = f.endpoint ? checkUrl(f.endpoint).replace(/\/+$/, '') : undefined;
  if (!(endpoint ? ANY_POOL_ID : AWS_POOL_ID).test(pool.value)) {
    throw new CognitoConfigError(
      pool.source,
      endpoint
        ? `must look like <prefix>_<id> (got "${pool.value}")`
        : `must look like <region>_<id>, e.g. eu-west-1_AbC123 (got "${pool.value}")`,
    );
  }
  const poolRegion = AWS_POOL_ID.exec(pool.value)?.[1];
  const regionSrc = f.region;
  if (regionSrc && !REGION_NAME.test(regionSrc.value)) {
    throw new CognitoConfigError(regionSrc.source, `is not a region name (got "${regionSrc.value}")`);
  }
  if (regionSrc && poolRegion && regionSrc.value !== poolRegion) {
    throw new CognitoConfigError(
      regionSrc.source,
      `is "${regionSrc.value}" but the pool ${pool.value} is in ${poolRegion} (a pool's region is its id's prefix; leave the region unset)`,
    );
  }
  // Without a region in the pool id (a custom endpoint's `local_…`) the SDK still needs one.
  const region = poolRegion ?? regionSrc?.value ?? 'us-east-1';
  return { userPoolId: pool.value, endpoint, region, poolRegion };
}

/** The app client ids (a string is comma-separated), deduplicated, in order. */
function resolveClientIds(src: Sourced<unknown>): string[] {
  const { value, source } = src;
  if (value === undefined && (source === 'clientId' || source === 'APP_CLIENT_ID')) {
    throw new CognitoConfigError(
      source,
      'is required: at least one app client id (the clientId option, or APP_CLIENT_ID in the environment)',
    );
  }
  const list =
    value === undefined ? [] : typeof value === 'string' ? value.split(',') : Array.isArray(value) ? [...(value as unknown[])] : null;
  if (!list || list.some((c) => typeof c !== 'string')) throw new CognitoConfigError(source, 'must be a string or a list of strings');
  const clientIds = (list as string[]).map((c) => c.trim());
  if (clientIds.length === 0 || clientIds.some((c) => c === '')) {
    throw new CognitoConfigError(source, 'must name at least one app client id, with no empty entries');
  }
  if (clientIds.some((c) => !CLIENT_ID.test(c))) {
    throw new CognitoConfigError(source, 'an app client id has only letters, digits and "_+.-"');
  }
  return [...new Set(clientIds)];
}

/** Client id to secret: a string is the first client's; a map names clients. */
function resolveClientSecrets(
  src: Sourced<unknown> | undefined,
  clientIds: readonly string[],
  clientIdSource: string,
): Map<string, string> {
  const secrets = new Map<string, string>();
  if (src === undefined || src.value === undefined) return secrets;
  const { value, source } = src;
  if (typeof value === 'string') {
    if (value === '') throw new CognitoConfigError(source, 'must not be empty');
    secrets.set(clientIds[0], value);
  } else if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [id, secret] of Object.entries(value as Record<string, unknown>)) {
      if (!clientIds.includes(id)) throw new CognitoConfigError(source, `names client "${id}", which is not in ${clientIdSource}`);
      if (typeof secret !== 'string' || secret === '')
        throw new CognitoConfigError(source, `the secret of client "${id}" must be a non-empty string`);
      secrets.set(id, secret);
    }
  } else {
    throw new CognitoConfigError(source, 'must be a string or a map of client id to secret');
  }
  return secrets;
}

/**
 * The issuers accepted (the configured one first) and the JWKS location. The default issuer is
 * `https://cognito-idp.<pool's region>.amazonaws.com/<pool>`, or `<endpoint>/<pool>` with an
 * endpoint; AWS's newer `issuer-cognito-idp` form is accepted beside the classic one (the keys
 * behind both are the pool's).
 */
function resolveIssuers(f: PoolFields, pool: PoolPlace): { issuers: string[]; jwksUri: string } {
  const region = pool.poolRegion ?? pool.region;
  const classic = `https://cognito-idp.${region}.amazonaws.com/${pool.userPoolId}`;
  const newer = `https://issuer-cognito-idp.${region}.amazonaws.com/${pool.userPoolId}`;
  const issuer = f.issuer ? checkUrl(f.issuer).replace(/\/+$/, '') : pool.endpoint ? `${pool.endpoint}/${pool.userPoolId}` : classic;
  const issuers = issuer === classic ? [classic, newer] : issuer === newer ? [newer, classic] : [issuer];
  return { issuers, jwksUri: f.jwksUri ? checkUrl(f.jwksUri) : `${issuer}/.well-known/jwks.json` };
}

/**
 * Multi-Region Replication: a replica shares its primary's pool id. With the updated issuer every
 * Region signs tokens as `issuer-cognito-idp.<primary Region>` (accepted above); with the original
 * issuer a replica's tokens name the replica's Region, `cognito-idp.<replica Region>`, and its own
 * JWKS there. Only those are added, each with its own key set.
 */
function resolveReplicas(src: Sourced<unknown> | undefined, pool: PoolPlace): ResolvedReplicaIssuer[] {
  if (src === undefined || src.value === undefined) return [];
  const { value, source } = src;
  const list = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? [...(value as unknown[])] : null;
  if (!list || list.some((r) => typeof r !== 'string')) throw new CognitoConfigError(source, 'must be a list of region names');
  const regions = [...new Set((list as string[]).map((r) => r.trim()).filter((r) => r !== ''))];
  if (regions.length > 0 && !pool.poolRegion) {
    throw new CognitoConfigError(source, `needs an AWS pool id (<region>_<id>); ${pool.userPoolId} names no region`);
  }
  return regions.map((region) => {
    if (!AWS_REGION_NAME.test(region)) throw new CognitoConfigError(source, `"${region}" is not an AWS region name`);
    if (region === pool.poolRegion) throw new CognitoConfigError(source, `"${region}" is the pool's own region, not a replica's`);
    const issuer = `https://cognito-idp.${region}.amazonaws.com/${pool.userPoolId}`;
    return Object.freeze({ region, issuer, jwksUri: `${issuer}/.well-known/jwks.json` });
  });
}
