import { Inject, Injectable, type OnModuleDestroy, type Provider } from '@nestjs/common';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { COGNITO_AUTH_SETTINGS } from '../cognito-auth.constants.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';

/** Injection token of the configured `CognitoIdentityProviderClient` (region, endpoint, timeouts from the settings). */
export const COGNITO_CLIENT = Symbol.for('nest-cognito-auth:cognito-client');

/** SDK attempts per call (the first one and one retry); the overall deadline is the caller's. */
const MAX_ATTEMPTS = 2;

/**
 * Injects the module's configured `CognitoIdentityProviderClient`, for any Cognito call the library
 * does not make itself:
 *
 * ```ts
 * constructor(@InjectCognitoClient() private readonly cognito: CognitoIdentityProviderClient) {}
 * ```
 *
 * Unsigned operations (sign-in, sign-up, passwords) need no AWS credentials; admin operations use
 * the SDK's default credential chain.
 */
export function InjectCognitoClient(): PropertyDecorator & ParameterDecorator {
  return Inject(COGNITO_CLIENT);
}

/**
 * Creates the shared SDK client from the settings and closes its sockets when the app closes.
 * Each attempt is bounded by the Cognito timeout; callers bound the whole call (retries included)
 * with an abort signal.
 */
@Injectable()
export class CognitoClientHolder implements OnModuleDestroy {
  /** The client every flow (and the admin service) sends through. */
  readonly client: CognitoIdentityProviderClient;

  constructor(@Inject(COGNITO_AUTH_SETTINGS) settings: CognitoAuthSettings) {
    const budget = settings.cognitoTimeoutMs;
    this.client = new CognitoIdentityProviderClient({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      maxAttempts: MAX_ATTEMPTS,
      requestHandler: {
        connectionTimeout: Math.max(1, Math.ceil(budget / 2)),
        requestTimeout: budget,
        throwOnRequestTimeout: true,
      },
    });
  }

  /** Closes the client's sockets. */
  onModuleDestroy(): void {
    this.client.destroy();
  }
}

/** The providers of the injectable client: the holder (lifecycle) and `COGNITO_CLIENT` (the client itself). */
export const cognitoClientProviders: Provider[] = [
  CognitoClientHolder,
  { provide: COGNITO_CLIENT, inject: [CognitoClientHolder], useFactory: (holder: CognitoClientHolder) => holder.client },
];
