import type { LoggerService } from '@nestjs/common';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { computeSecretHash } from '../tokens/secret-hash.js';
import { withDeadline } from '../tokens/cognito-errors.js';
import { type FlowOperation, toFlowError } from './flow-errors.js';

/**
 * Sends the flows' Cognito calls with the app client they sign in through (the first configured
 * one): each under the Cognito timeout (SDK retries included), each failure mapped to the typed
 * error the client gets.
 */
export class FlowCaller {
  /** The app client the flows use. */
  readonly clientId: string;
  private readonly secret: string | undefined;

  constructor(
    readonly client: CognitoIdentityProviderClient,
    private readonly settings: CognitoAuthSettings,
    /** Where failures are logged, by error name only. */
    readonly logger: Pick<LoggerService, 'warn' | 'error' | 'debug'>,
  ) {
    this.clientId = settings.clientIds[0] ?? '';
    this.secret = settings.clientSecrets.get(this.clientId);
  }

  /** `Retry-After` of a 503. */
  get retryAfterSeconds(): number {
    return this.settings.retryAfterSeconds;
  }

  /** The client's secret, for the hosted UI's token endpoint. */
  get clientSecret(): string | undefined {
    return this.secret;
  }

  /** `{ SECRET_HASH }` for `username` when the client has a secret, else `{}` (for `AuthParameters` / `ChallengeResponses`). */
  secretHashParam(username: string): { SECRET_HASH?: string } {
    return this.secret ? { SECRET_HASH: computeSecretHash(username, this.clientId, this.secret) } : {};
  }

  /** `SecretHash` for the account operations (`SignUp`, `ConfirmSignUp`...), when the client has a secret. */
  secretHash(username: string): { SecretHash?: string } {
    return this.secret ? { SecretHash: computeSecretHash(username, this.clientId, this.secret) } : {};
  }

  /**
   * One call under the deadline; a failure becomes a typed error (`secrets` are kept out of any
   * message Cognito sent back).
   */
  async call<T>(operation: FlowOperation, send: (abortSignal: AbortSignal) => Promise<T>, secrets: readonly string[] = []): Promise<T> {
    try {
      return await this.attempt(operation, send);
    } catch (err) {
      throw this.toError(operation, err, secrets);
    }
  }

  /** One call under the deadline, its failure as the SDK (or the deadline) raised it. */
  attempt<T>(operation: FlowOperation, send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    return withDeadline(operation, this.settings.cognitoTimeoutMs, send);
  }

  /** The typed error for a failure of `operation`. */
  toError(operation: FlowOperation, err: unknown, secrets: readonly string[] = []): Error {
    return toFlowError(operation, err, { retryAfterSeconds: this.settings.retryAfterSeconds, logger: this.logger, secrets });
  }
}
