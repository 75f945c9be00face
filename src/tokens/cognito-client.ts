import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { poolsOf } from '../options/pools.resolver.js';

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

/**
 * One SDK client per user pool (its region and endpoint), found by app client id, so that a
 * refresh, a revocation or an online check goes to the pool that issued the tokens.
 */
export class CognitoClients {
  private readonly byClientId = new Map<string, CognitoIdentityProviderClient>();
  private readonly all: CognitoIdentityProviderClient[] = [];

  constructor(settings: CognitoAuthSettings) {
    for (const pool of poolsOf(settings)) {
      const client = createCognitoClient({ region: pool.region, endpoint: pool.endpoint, cognitoTimeoutMs: settings.cognitoTimeoutMs });
      this.all.push(client);
      for (const id of pool.clientIds) this.byClientId.set(id, client);
    }
  }

  /** The SDK client of the pool that has this app client (the first pool's for an unknown one). */
  for(clientId: string | undefined): CognitoIdentityProviderClient {
    return (clientId !== undefined ? this.byClientId.get(clientId) : undefined) ?? this.all[0];
  }

  /** Closes every client's sockets. */
  destroy(): void {
    for (const client of this.all) client.destroy();
  }
}
