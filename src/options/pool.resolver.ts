import { CognitoConfigError } from '../errors/cognito-auth.errors.js';
import type { CognitoAuthModuleOptions } from './cognito-auth.options.js';
import { checkUrl, type SettingsReader, type Sourced } from './settings.reader.js';

/**
 * `<region>_<id>` with the region of any AWS partition: `us-east-1`, `us-gov-west-1`,
 * `cn-northwest-1`, `us-isob-east-1`, `eusc-de-east-1` (the European Sovereign Cloud),
 * `ap-southeast-5`...
 */
const AWS_POOL_ID = /^([a-z]{2,5}(?:-[a-z]+){1,3}-\d{1,2})_[A-Za-z0-9]+$/;
/** With a custom endpoint (cognito-local's `local_…`, a test provider) any prefix goes. */
const ANY_POOL_ID = /^([A-Za-z0-9-]+)_[A-Za-z0-9]+$/;
const REGION_NAME = /^[a-z0-9-]+$/;
const CLIENT_ID = /^[\w+.-]+$/;

/** The pool, where Cognito is reached, and in which region. */
export interface ResolvedPool {
  readonly userPoolId: string;
  readonly endpoint: string | undefined;
  readonly region: string;
  /** The region in the pool id, when the pool id has one (every AWS pool id does). */
  readonly poolRegion: string | undefined;
}

/**
 * The pool id, the endpoint and the region. The region of an AWS pool is its id's prefix: a
 * `region` (`COGNITO_REGION`) saying otherwise stops start-up, and `AWS_REGION` (the compute's
 * region on Lambda and ECS) is never read.
 */
export function resolvePool(o: CognitoAuthModuleOptions, reader: SettingsReader): ResolvedPool {
  const pool = reader.str('userPoolId', o.userPoolId, ['COGNITO_POOL_ID']);
  if (!pool) throw new CognitoConfigError('COGNITO_POOL_ID', 'the user pool id is required (userPoolId option or COGNITO_POOL_ID)');
  const endpointSrc = reader.str('endpoint', o.endpoint, ['COGNITO_ENDPOINT']);
  const endpoint = endpointSrc ? checkUrl(endpointSrc).replace(/\/+$/, '') : undefined;
  if (!(endpoint ? ANY_POOL_ID : AWS_POOL_ID).test(pool.value)) {
    throw new CognitoConfigError(
      pool.source,
      endpoint
        ? `must look like <prefix>_<id> (got "${pool.value}")`
        : `must look like <region>_<id>, e.g. eu-west-1_AbC123 (got "${pool.value}")`,
    );
  }
  const poolRegion = AWS_POOL_ID.exec(pool.value)?.[1];
  const regionSrc = reader.str('region', o.region, ['COGNITO_REGION']);
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

/** The app client ids (`clientId` / `APP_CLIENT_ID`, comma-separated), deduplicated, in order. */
export function resolveClientIds(o: CognitoAuthModuleOptions, reader: SettingsReader): string[] {
  let clientIds: string[];
  let source: string;
  if (o.clientId !== undefined) {
    source = 'clientId';
    const list = typeof o.clientId === 'string' ? o.clientId.split(',') : Array.isArray(o.clientId) ? [...o.clientId] : null;
    if (!list || list.some((c) => typeof c !== 'string')) throw new CognitoConfigError('clientId', 'must be a string or a list of strings');
    clientIds = list.map((c) => c.trim());
  } else {
    const raw = reader.read(['APP_CLIENT_ID']);
    source = 'APP_CLIENT_ID';
    clientIds = raw ? raw.value.split(',').map((c) => c.trim()) : [];
  }
  if (clientIds.length === 0 || clientIds.some((c) => c === '')) {
    throw new CognitoConfigError(source, 'must name at least one app client id, with no empty entries');
  }
  if (clientIds.some((c) => !CLIENT_ID.test(c))) {
    throw new CognitoConfigError(source, 'an app client id has only letters, digits and "_+.-"');
  }
  return [...new Set(clientIds)];
}

/**
 * Client id to secret: `clientSecret` (a string is the first client's; a map names clients), else
 * `APP_CLIENT_SECRET` (alias `APP_SECRET_KEY`) for the first client. Secrets never appear in errors.
 */
export function resolveClientSecrets(
  o: CognitoAuthModuleOptions,
  reader: SettingsReader,
  clientIds: readonly string[],
): Map<string, string> {
  const secrets = new Map<string, string>();
  if (o.clientSecret === undefined) {
    const raw = reader.read(['APP_CLIENT_SECRET', 'APP_SECRET_KEY']);
    if (raw) secrets.set(clientIds[0], raw.value);
  } else if (typeof o.clientSecret === 'string') {
    if (o.clientSecret === '') throw new CognitoConfigError('clientSecret', 'must not be empty');
    secrets.set(clientIds[0], o.clientSecret);
  } else if (o.clientSecret && typeof o.clientSecret === 'object') {
    for (const [id, secret] of Object.entries(o.clientSecret)) {
      if (!clientIds.includes(id)) throw new CognitoConfigError('clientSecret', `names client "${id}", which is not in clientId`);
      if (typeof secret !== 'string' || secret === '') throw new CognitoConfigError('clientSecret', `the secret of client "${id}" must be a non-empty string`);
      secrets.set(id, secret);
    }
  } else {
    throw new CognitoConfigError('clientSecret', 'must be a string or a map of client id to secret');
  }
  return secrets;
}

/**
 * The issuers accepted (the configured one first) and the JWKS location. The default issuer is
 * `https://cognito-idp.<pool's region>.amazonaws.com/<pool>`, or `<endpoint>/<pool>` with an
 * endpoint; AWS's newer `issuer-cognito-idp` form is accepted beside the classic one.
 */
export function resolveIssuers(
  o: CognitoAuthModuleOptions,
  reader: SettingsReader,
  pool: ResolvedPool,
): { issuers: string[]; jwksUri: string } {
  const issuerSrc: Sourced<string> | undefined = reader.str('issuer', o.issuer, ['COGNITO_ISSUER']);
  const region = pool.poolRegion ?? pool.region;
  const classic = `https://cognito-idp.${region}.amazonaws.com/${pool.userPoolId}`;
  const newer = `https://issuer-cognito-idp.${region}.amazonaws.com/${pool.userPoolId}`;
  const issuer = issuerSrc
    ? checkUrl(issuerSrc).replace(/\/+$/, '')
    : pool.endpoint
      ? `${pool.endpoint}/${pool.userPoolId}`
      : classic;
  const issuers = issuer === classic ? [classic, newer] : issuer === newer ? [newer, classic] : [issuer];
  const jwksSrc = reader.str('jwksUri', o.jwksUri, ['COGNITO_JWKS_URI']);
  return { issuers, jwksUri: jwksSrc ? checkUrl(jwksSrc) : `${issuer}/.well-known/jwks.json` };
}
