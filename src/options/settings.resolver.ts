import { CognitoConfigError } from '../errors/cognito-auth.errors.js';
import type {
  CognitoAuthModuleOptions,
  CognitoAuthSettings,
  CookieSameSite,
  ResolvedUserSyncSettings,
  TokenUseMode,
} from './cognito-auth.options.js';

/** Reads one environment variable; `ConfigService.get` or `process.env`. */
export type EnvReader = (name: string) => string | undefined;

const TOKEN_USES: readonly TokenUseMode[] = ['id+access', 'access', 'id'];
const SAME_SITES: readonly CookieSameSite[] = ['lax', 'strict', 'none'];
const AWS_POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d+)_[A-Za-z0-9]+$/;
const ANY_POOL_ID = /^([A-Za-z0-9-]+)_[A-Za-z0-9]+$/;
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A value and where it came from: the option name or the environment variable name. */
interface Sourced<T> {
  value: T;
  source: string;
}

/**
 * Merges `forRoot` options with the environment (given options win) and checks every value.
 * Throws `CognitoConfigError` naming the option, or the environment variable when the value
 * came from the environment.
 *
 * @param options what `forRoot` was given (may be empty)
 * @param env reads an environment variable (`ConfigService.get` or `process.env`)
 */
export function resolveCognitoSettings(
  options: CognitoAuthModuleOptions | undefined,
  env: EnvReader = (name) => process.env[name],
): CognitoAuthSettings {
  const o = options ?? {};
  const read = (names: readonly string[]): Sourced<string> | undefined => {
    for (const name of names) {
      const raw = env(name);
      if (raw !== undefined && raw.trim() !== '') return { value: raw.trim(), source: name };
    }
    return undefined;
  };
  const str = (option: string, given: string | undefined, envNames: readonly string[]): Sourced<string> | undefined => {
    if (given !== undefined) {
      if (typeof given !== 'string' || given.trim() === '') throw new CognitoConfigError(option, 'must be a non-empty string');
      return { value: given.trim(), source: option };
    }
    return read(envNames);
  };
  const bool = (option: string, given: boolean | undefined, envName: string, fallback: boolean): boolean => {
    if (given !== undefined) {
      if (typeof given !== 'boolean') throw new CognitoConfigError(option, 'must be true or false');
      return given;
    }
    const raw = read([envName]);
    return raw === undefined ? fallback : parseBool(raw);
  };
  const int = (option: string, given: number | undefined, envName: string, fallback: number, min: number): number => {
    if (given !== undefined) return checkInt({ value: given, source: option }, min);
    const raw = read([envName]);
    if (raw === undefined) return fallback;
    if (!/^-?\d+$/.test(raw.value)) throw new CognitoConfigError(raw.source, `must be an integer (got "${raw.value}")`);
    return checkInt({ value: Number(raw.value), source: raw.source }, min);
  };

  // Pool, region, endpoint
  const pool = str('userPoolId', o.userPoolId, ['COGNITO_POOL_ID']);
  if (!pool) throw new CognitoConfigError('COGNITO_POOL_ID', 'the user pool id is required (userPoolId option or COGNITO_POOL_ID)');
  const endpointSrc = str('endpoint', o.endpoint, ['COGNITO_ENDPOINT']);
  const endpoint = endpointSrc ? checkUrl(endpointSrc).replace(/\/+$/, '') : undefined;
  const poolMatch = (endpoint ? ANY_POOL_ID : AWS_POOL_ID).exec(pool.value);
  if (!poolMatch) {
    throw new CognitoConfigError(
      pool.source,
      endpoint
        ? `must look like <prefix>_<id> (got "${pool.value}")`
        : `must look like <region>_<id>, e.g. eu-west-1_AbC123 (got "${pool.value}")`,
    );
  }
  const regionSrc = str('region', o.region, ['COGNITO_REGION', 'AWS_REGION']);
  const prefix = poolMatch[1];
  const region = regionSrc?.value ?? (AWS_POOL_ID.test(pool.value) ? prefix : 'us-east-1');
  if (!/^[a-z0-9-]+$/.test(region)) throw new CognitoConfigError(regionSrc?.source ?? 'region', `is not a region name (got "${region}")`);

  // Clients and secrets
  let clientIds: string[];
  let clientSource: string;
  if (o.clientId !== undefined) {
    clientSource = 'clientId';
    const list = typeof o.clientId === 'string' ? o.clientId.split(',') : Array.isArray(o.clientId) ? [...o.clientId] : null;
    if (!list || list.some((c) => typeof c !== 'string')) throw new CognitoConfigError('clientId', 'must be a string or a list of strings');
    clientIds = list.map((c) => c.trim());
  } else {
    const raw = read(['APP_CLIENT_ID']);
    clientSource = 'APP_CLIENT_ID';
    clientIds = raw ? raw.value.split(',').map((c) => c.trim()) : [];
  }
  if (clientIds.length === 0 || clientIds.some((c) => c === '')) {
    throw new CognitoConfigError(clientSource, 'must name at least one app client id, with no empty entries');
  }
  if (clientIds.some((c) => !/^[\w+.-]+$/.test(c))) {
    throw new CognitoConfigError(clientSource, 'an app client id has only letters, digits and "_+.-"');
  }
  clientIds = [...new Set(clientIds)];
  const clientSecrets = new Map<string, string>();
  if (o.clientSecret !== undefined) {
    if (typeof o.clientSecret === 'string') {
      if (o.clientSecret === '') throw new CognitoConfigError('clientSecret', 'must not be empty');
      clientSecrets.set(clientIds[0], o.clientSecret);
    } else if (o.clientSecret && typeof o.clientSecret === 'object') {
      for (const [id, secret] of Object.entries(o.clientSecret)) {
        if (!clientIds.includes(id)) throw new CognitoConfigError('clientSecret', `names client "${id}", which is not in clientId`);
        if (typeof secret !== 'string' || secret === '') throw new CognitoConfigError('clientSecret', `the secret of client "${id}" must be a non-empty string`);
        clientSecrets.set(id, secret);
      }
    } else {
      throw new CognitoConfigError('clientSecret', 'must be a string or a map of client id to secret');
    }
  } else {
    const raw = read(['APP_CLIENT_SECRET', 'APP_SECRET_KEY']);
    if (raw) clientSecrets.set(clientIds[0], raw.value);
  }

  // Issuer and JWKS
  const issuerSrc = str('issuer', o.issuer, ['COGNITO_ISSUER']);
  const awsIssuer = `https://cognito-idp.${region}.amazonaws.com/${pool.value}`;
  const awsIssuer2 = `https://issuer-cognito-idp.${region}.amazonaws.com/${pool.value}`;
  const issuer = issuerSrc
    ? checkUrl(issuerSrc).replace(/\/+$/, '')
    : endpoint
      ? `${endpoint}/${pool.value}`
      : awsIssuer;
  const issuers = issuer === awsIssuer ? [awsIssuer, awsIssuer2] : issuer === awsIssuer2 ? [awsIssuer2, awsIssuer] : [issuer];
  const jwksSrc = str('jwksUri', o.jwksUri, ['COGNITO_JWKS_URI']);
  const jwksUri = jwksSrc ? checkUrl(jwksSrc) : `${issuer}/.well-known/jwks.json`;

  // Modes
  const tokenUseSrc = o.tokenUse !== undefined ? { value: o.tokenUse, source: 'tokenUse' } : read(['COGNITO_TOKEN_USE']);
  const tokenUse = (tokenUseSrc?.value ?? 'id+access') as TokenUseMode;
  if (!TOKEN_USES.includes(tokenUse)) {
    throw new CognitoConfigError(tokenUseSrc!.source, `must be one of ${TOKEN_USES.join(', ')} (got "${String(tokenUseSrc!.value)}")`);
  }

  // Cookies
  const c = o.cookies ?? {};
  const sameSiteSrc = c.sameSite !== undefined ? { value: c.sameSite, source: 'cookies.sameSite' } : read(['COGNITO_COOKIE_SAMESITE']);
  const sameSite = (sameSiteSrc?.value.toLowerCase() ?? 'lax') as CookieSameSite;
  if (!SAME_SITES.includes(sameSite)) {
    throw new CognitoConfigError(sameSiteSrc!.source, `must be one of ${SAME_SITES.join(', ')} (got "${sameSiteSrc!.value}")`);
  }
  const secure = bool('cookies.secure', c.secure, 'SECURE_COOKIE', true);
  if (sameSite === 'none' && !secure) {
    throw new CognitoConfigError(sameSiteSrc!.source, 'SameSite=None needs Secure cookies (browsers drop them otherwise)');
  }
  const names = { access: c.names?.access ?? 'AccessToken', id: c.names?.id ?? 'IdToken', refresh: c.names?.refresh ?? 'RefreshToken' };
  for (const [kind, name] of Object.entries(names)) {
    if (typeof name !== 'string' || !COOKIE_NAME.test(name)) throw new CognitoConfigError(`cookies.names.${kind}`, 'is not a valid cookie name');
  }
  const domain = str('cookies.domain', c.domain, ['COGNITO_COOKIE_DOMAIN']);
  if (domain && !/^\.?[A-Za-z0-9.-]+$/.test(domain.value)) throw new CognitoConfigError(domain.source, 'is not a valid cookie domain');

  return {
    userPoolId: pool.value,
    clientIds,
    clientSecrets,
    region,
    endpoint,
    issuers,
    jwksUri,
    tokenUse,
    autoRefresh: bool('autoRefresh', o.autoRefresh, 'COGNITO_AUTO_REFRESH', true),
    refreshTokenRotation: bool('refreshTokenRotation', o.refreshTokenRotation, 'COGNITO_REFRESH_TOKEN_ROTATION', false),
    cookies: {
      enabled: bool('cookies.enabled', c.enabled, 'COGNITO_COOKIES', false),
      httpOnly: bool('cookies.httpOnly', c.httpOnly, 'HTTP_ONLY_COOKIE', true),
      secure,
      sameSite,
      maxAgeSeconds: int('cookies.maxAgeSeconds', c.maxAgeSeconds, 'COGNITO_COOKIE_MAX_AGE', 2_592_000, 1),
      domain: domain?.value,
      names,
    },
    csrf: bool('csrf', o.csrf, 'USE_CSRF', false),
    users: resolveUsers(o, read, int),
    clockToleranceSeconds: int('clockToleranceSeconds', o.clockToleranceSeconds, 'COGNITO_CLOCK_TOLERANCE', 5, 0),
    maxTokenLength: int('maxTokenLength', o.maxTokenLength, 'COGNITO_MAX_TOKEN_LENGTH', 8192, 64),
    jwksTimeoutMs: int('jwksTimeoutMs', o.jwksTimeoutMs, 'COGNITO_JWKS_TIMEOUT_MS', 3000, 1),
    jwksRefetchCooldownMs: int('jwksRefetchCooldownMs', o.jwksRefetchCooldownMs, 'COGNITO_JWKS_COOLDOWN_MS', 10_000, 0),
    cognitoTimeoutMs: int('cognitoTimeoutMs', o.cognitoTimeoutMs, 'COGNITO_TIMEOUT_MS', 5000, 1),
    retryAfterSeconds: int('retryAfterSeconds', o.retryAfterSeconds, 'COGNITO_RETRY_AFTER', 5, 0),
    tokenCacheSize: int('tokenCacheSize', o.tokenCacheSize, 'COGNITO_TOKEN_CACHE_SIZE', 10_000, 0),
  };
}

function resolveUsers(
  o: CognitoAuthModuleOptions,
  read: (names: readonly string[]) => Sourced<string> | undefined,
  int: (option: string, given: number | undefined, envName: string, fallback: number, min: number) => number,
): ResolvedUserSyncSettings | false {
  if (o.users === false) return false;
  let explicit = o.users !== undefined;
  if (o.users === undefined) {
    const sync = read(['COGNITO_USER_SYNC']);
    if (sync) {
      if (!parseBool(sync)) return false;
      explicit = true;
    }
  } else if (typeof o.users !== 'object' || o.users === null) {
    throw new CognitoConfigError('users', 'must be an options object or false');
  }
  const u = o.users || {};
  const field = (option: string, given: string | undefined, envName: string, fallback: string): Sourced<string> => {
    if (given !== undefined) {
      if (typeof given !== 'string' || given.trim() === '') throw new CognitoConfigError(option, 'must be a non-empty string');
      return { value: given.trim(), source: option };
    }
    return read([envName]) ?? { value: fallback, source: option };
  };
  const flag = (option: string, given: boolean | undefined, envName: string, fallback: boolean): boolean => {
    if (given !== undefined) {
      if (typeof given !== 'boolean') throw new CognitoConfigError(option, 'must be true or false');
      return given;
    }
    const raw = read([envName]);
    return raw === undefined ? fallback : parseBool(raw);
  };

  let fieldMapping: Record<string, string>;
  let mappingSource = 'users.fieldMapping';
  if (u.fieldMapping !== undefined) {
    fieldMapping = { ...u.fieldMapping };
  } else {
    const raw = read(['COGNITO_USER_FIELD_MAPPING']);
    if (raw) {
      mappingSource = raw.source;
      try {
        fieldMapping = JSON.parse(raw.value) as Record<string, string>;
      } catch {
        throw new CognitoConfigError(raw.source, 'must be JSON, e.g. {"sub":"sub","email":"email"}');
      }
    } else {
      fieldMapping = { sub: 'sub', email: 'email' };
    }
  }
  if (!fieldMapping || typeof fieldMapping !== 'object' || Array.isArray(fieldMapping)) {
    throw new CognitoConfigError(mappingSource, 'must be an object of entity field to claim name');
  }
  for (const [key, claim] of Object.entries(fieldMapping)) {
    if (typeof claim !== 'string' || claim === '' || key === '' || isForbiddenKey(key)) {
      throw new CognitoConfigError(mappingSource, `entry "${key}" must map an entity field to a claim name`);
    }
  }

  const lookupField = field('users.lookupField', u.lookupField, 'COGNITO_USER_MODEL_FIELD_REF_FIELD', 'sub');
  return {
    explicit,
    entity: u.entity,
    dataSource: u.dataSource,
    autoCreate: flag('users.autoCreate', u.autoCreate, 'AUTO_CREATE_USER', true),
    lookupField: lookupField.value,
    tokenField: field('users.tokenField', u.tokenField, 'COGNITO_TOKEN_REF_FIELD', 'sub').value,
    fieldMapping: Object.freeze(fieldMapping),
    updateOnLogin: flag('users.updateOnLogin', u.updateOnLogin, 'COGNITO_UPDATE_USER_ON_LOGIN', true),
    cacheTtlSeconds: int('users.cacheTtlSeconds', u.cacheTtlSeconds, 'COGNITO_USER_CACHE_TTL', 5, 0),
    sources: { lookupField: lookupField.source, fieldMapping: mappingSource },
  };
}

function isForbiddenKey(key: string): boolean {
  return key === '__proto__' || key === 'constructor' || key === 'prototype';
}

function parseBool(raw: Sourced<string>): boolean {
  const v = raw.value.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new CognitoConfigError(raw.source, `must be true or false (got "${raw.value}")`);
}

function checkInt(n: Sourced<number>, min: number): number {
  if (typeof n.value !== 'number' || !Number.isSafeInteger(n.value) || n.value < min) {
    throw new CognitoConfigError(n.source, `must be an integer of at least ${min} (got ${String(n.value)})`);
  }
  return n.value;
}

function checkUrl(s: Sourced<string>): string {
  let url: URL;
  try {
    url = new URL(s.value);
  } catch {
    throw new CognitoConfigError(s.source, `must be an http(s) URL (got "${s.value}")`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CognitoConfigError(s.source, `must be an http(s) URL (got "${s.value}")`);
  }
  return s.value;
}
