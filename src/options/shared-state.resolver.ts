import { CognitoConfigError } from '../errors/cognito-auth.errors.js';
import type { CognitoStateStore } from '../shared-state/state-store.interface.js';
import type { CognitoAuthModuleOptions, ResolvedSharedStateSettings } from './cognito-auth.options.js';
import type { SettingsReader, Sourced } from './settings.reader.js';

const STORE_METHODS: readonly (keyof CognitoStateStore)[] = ['get', 'set', 'setIfAbsent', 'delete', 'publish', 'subscribe'];
/** Shortest state key accepted: 32 characters. */
export const MIN_STATE_KEY_LENGTH = 32;

/**
 * Shared-state settings: a Redis URL or a store, the state key, and the revocation knobs. A store
 * other than the per-process one needs a state key (what is kept in a shared store is encrypted
 * with it). Neither the Redis URL (it may hold a password) nor the key appear in an error.
 */
export function resolveSharedState(o: CognitoAuthModuleOptions, reader: SettingsReader): ResolvedSharedStateSettings {
  const s = o.sharedState ?? {};
  if (typeof s !== 'object' || s === null) throw new CognitoConfigError('sharedState', 'must be an options object');
  const redis = resolveRedis(s.redis, reader);
  const store = s.store;
  if (store !== undefined) checkStore(store);
  if (redis && store !== undefined) {
    throw new CognitoConfigError('sharedState.store', `give either a store or a Redis URL (${redis.source}), not both`);
  }
  const stateKey = reader.str('sharedState.stateKey', s.stateKey, ['COGNITO_STATE_KEY']);
  if (stateKey && stateKey.value.length < MIN_STATE_KEY_LENGTH) {
    throw new CognitoConfigError(stateKey.source, `must be at least ${MIN_STATE_KEY_LENGTH} characters (got ${stateKey.value.length})`);
  }
  const sharedBy = redis ? redis.source : store !== undefined && store.perProcess !== true ? 'sharedState.store' : undefined;
  if (sharedBy && !stateKey) {
    throw new CognitoConfigError(
      'COGNITO_STATE_KEY',
      `is required with a shared store (${sharedBy}): set it, or sharedState.stateKey, to at least ${MIN_STATE_KEY_LENGTH} random characters`,
    );
  }
  return {
    redis: redis?.value,
    store,
    stateKey: stateKey?.value,
    revocationFailClosed: reader.bool('sharedState.revocationFailClosed', s.revocationFailClosed, 'COGNITO_REVOCATION_FAIL_CLOSED', false),
    onlineCheckSeconds: reader.int('sharedState.onlineCheckSeconds', s.onlineCheckSeconds, 'COGNITO_ONLINE_CHECK_SECONDS', 60, 1),
  };
}

function resolveRedis(
  given: { url: string; prefix?: string } | undefined,
  reader: SettingsReader,
): Sourced<{ url: string; prefix: string }> | undefined {
  if (given !== undefined && (typeof given !== 'object' || given === null)) {
    throw new CognitoConfigError('sharedState.redis', 'must be { url, prefix? }');
  }
  const url = given !== undefined ? reader.str('sharedState.redis.url', given.url, []) : reader.read(['COGNITO_REDIS_URL']);
  if (!url) {
    if (given !== undefined) throw new CognitoConfigError('sharedState.redis.url', 'is required');
    return undefined;
  }
  let protocol: string | undefined;
  try {
    protocol = new URL(url.value).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') {
    throw new CognitoConfigError(url.source, 'must be a redis:// or rediss:// URL');
  }
  const prefix = reader.str('sharedState.redis.prefix', given?.prefix, ['COGNITO_REDIS_PREFIX'])?.value ?? 'nca:';
  return { value: { url: url.value, prefix }, source: url.source };
}

function checkStore(store: unknown): void {
  if (typeof store !== 'object' || store === null) throw new CognitoConfigError('sharedState.store', 'must be a CognitoStateStore');
  const missing = STORE_METHODS.filter((m) => typeof (store as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) throw new CognitoConfigError('sharedState.store', `must be a CognitoStateStore (no ${missing.join(', ')})`);
}
