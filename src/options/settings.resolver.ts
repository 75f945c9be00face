import type { CognitoAuthModuleOptions, CognitoAuthSettings } from './cognito-auth.options.js';
import { resolveCookies } from './cookies.resolver.js';
import { resolveFlows } from './flows.resolver.js';
import { resolvePools } from './pools.resolver.js';
import { resolveRequestRules } from './request-rules.resolver.js';
import { type EnvReader, SettingsReader } from './settings.reader.js';
import { resolveSharedState } from './shared-state.resolver.js';
import { resolveUsers } from './users.resolver.js';

export type { EnvReader } from './settings.reader.js';

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
  const reader = new SettingsReader(env);
  const pools = resolvePools(o, reader);
  const rules = resolveRequestRules(o, reader);
  const cookies = resolveCookies(o, reader);
  return {
    ...pools,
    ...rules,
    autoRefresh: reader.bool('autoRefresh', o.autoRefresh, 'COGNITO_AUTO_REFRESH', true),
    refreshTokenRotation: reader.bool('refreshTokenRotation', o.refreshTokenRotation, 'COGNITO_REFRESH_TOKEN_ROTATION', false),
    cookies,
    csrf: reader.bool('csrf', o.csrf, 'USE_CSRF', false),
    users: resolveUsers(o, reader),
    ...resolveNumbers(o, reader),
    sharedState: resolveSharedState(o, reader),
    flows: resolveFlows(o, reader),
  };
}

type Numbers = Pick<
  CognitoAuthSettings,
  | 'clockToleranceSeconds'
  | 'maxTokenLength'
  | 'jwksTimeoutMs'
  | 'jwksRefetchCooldownMs'
  | 'cognitoTimeoutMs'
  | 'retryAfterSeconds'
  | 'tokenCacheSize'
>;

/** Tolerances, limits and timeouts, each with its minimum. */
function resolveNumbers(o: CognitoAuthModuleOptions, reader: SettingsReader): Numbers {
  return {
    clockToleranceSeconds: reader.int('clockToleranceSeconds', o.clockToleranceSeconds, 'COGNITO_CLOCK_TOLERANCE', 5, 0),
    maxTokenLength: reader.int('maxTokenLength', o.maxTokenLength, 'COGNITO_MAX_TOKEN_LENGTH', 8192, 64),
    jwksTimeoutMs: reader.int('jwksTimeoutMs', o.jwksTimeoutMs, 'COGNITO_JWKS_TIMEOUT_MS', 3000, 1),
    jwksRefetchCooldownMs: reader.int('jwksRefetchCooldownMs', o.jwksRefetchCooldownMs, 'COGNITO_JWKS_COOLDOWN_MS', 10_000, 0),
    cognitoTimeoutMs: reader.int('cognitoTimeoutMs', o.cognitoTimeoutMs, 'COGNITO_TIMEOUT_MS', 5000, 1),
    retryAfterSeconds: reader.int('retryAfterSeconds', o.retryAfterSeconds, 'COGNITO_RETRY_AFTER', 5, 0),
    tokenCacheSize: reader.int('tokenCacheSize', o.tokenCacheSize, 'COGNITO_TOKEN_CACHE_SIZE', 10_000, 0),
  };
}
