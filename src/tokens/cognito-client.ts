import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';

/** SDK attempts per call (the first one and one retry), all within `cognitoTimeoutMs`. */
const MAX_ATTEMPTS = 2;

/**
 * The SDK client the library's own Cognito calls go through (refresh, revoke, the online check):
 * the settings' region and endpoint, two attempts, and per-attempt socket limits that leave time
 * for the retry within `cognitoTimeoutMs` (the overall deadline is enforced by `callCognito`).
 * Credentials come from the SDK's default provider chain; the operations used are unsigned.
 */
export function createCognitoClient(
  settings: Pick<CognitoAuthSettings, 'region' | 'endpoint' | 'cognitoTimeoutMs'>,
): CognitoIdentityProviderClient {
  const budget = settings.cognitoTimeoutMs;
  return new CognitoIdentityProviderClient({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    maxAttempts: MAX_ATTEMPTS,
    // NodeHttpHandler options (shorthand).
    requestHandler: {
      connectionTimeout: Math.max(1, Math.ceil(budget / 2)),
      requestTimeout: budget,
      throwOnRequestTimeout: true,
    },
  });
}
