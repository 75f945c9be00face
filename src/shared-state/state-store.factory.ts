import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { InMemoryStateStore } from './in-memory-state.store.js';
import { RedisStateStore } from './redis-state.store.js';
import type { CognitoStateStore } from './state-store.interface.js';

/**
 * The store the settings ask for: the app's own (`sharedState.store`), else Redis
 * (`sharedState.redis` / `COGNITO_REDIS_URL`; ioredis is loaded now, a start-up error names the
 * setting if it is not installed), else this process's memory.
 */
export function createStateStore(settings: CognitoAuthSettings, clock: () => number = Date.now): CognitoStateStore {
  const shared = settings.sharedState;
  if (shared?.store) return shared.store;
  if (shared?.redis) {
    return new RedisStateStore({
      url: shared.redis.url,
      prefix: shared.redis.prefix,
      setting: 'sharedState.redis.url (COGNITO_REDIS_URL)',
    });
  }
  return new InMemoryStateStore(clock);
}
