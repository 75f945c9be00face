import { Inject, Injectable, type OnModuleDestroy, type Provider } from '@nestjs/common';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { COGNITO_AUTH_SETTINGS } from '../cognito-auth.constants.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { createCognitoClient } from '../tokens/cognito-client.js';

/** Injection token of the configured `CognitoIdentityProviderClient` (region, endpoint, timeouts from the settings). */
export const COGNITO_CLIENT = Symbol.for('nest-cognito-auth:cognito-client');

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
    this.client = createCognitoClient(settings);
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
