import { IntrinsicException } from '@nestjs/common';
import type { CognitoAuthError, CognitoAuthErrorCode } from '../errors/cognito-auth.errors.js';

/** The `extensions` of a refused GraphQL field: our `code` and the HTTP status it stands for. */
export interface CognitoGraphqlErrorExtensions {
  readonly code: CognitoAuthErrorCode;
  readonly status: number;
}

/**
 * A refusal as a GraphQL resolver throws it. The response stays HTTP 200, the field is `null`
 * (GraphQL's null propagation) and the error reads
 * `{ message, extensions: { code: 'token_missing', status: 401 } }` on Apollo and Mercurius alike.
 *
 * It is deliberately not an `HttpException`: Nest's Apollo driver rewrites an `HttpException`'s
 * `extensions.code` to `UNAUTHENTICATED` / `FORBIDDEN` / `INTERNAL_SERVER_ERROR`. graphql-js copies
 * the `extensions` of a thrown error into the `GraphQLError` it builds, so no `graphql` import is
 * needed here. It extends `IntrinsicException` so Nest's exception handler does not log every
 * refusal as an error. The `CognitoAuthError` it stands for is its `cause`.
 */
export class CognitoGraphqlError extends IntrinsicException {
  /** Copied by graphql-js into the `GraphQLError` sent to the client. */
  readonly extensions: CognitoGraphqlErrorExtensions;

  constructor(error: CognitoAuthError) {
    super(error.message, { cause: error });
    this.name = 'CognitoGraphqlError';
    this.extensions = { code: error.code, status: error.getStatus() };
  }
}
