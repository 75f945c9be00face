import type { ExecutionContext } from '@nestjs/common';
import type { AuthResult } from '../auth/authenticator.types.js';
import type { CognitoAuthError } from '../errors/cognito-auth.errors.js';
import { graphqlCarrierOf } from './graphql-call.js';
import { rpcCarrierOf } from './rpc-carrier.js';

/** Where the guard keeps the outcome on its carrier (request, socket, message context). */
export const COGNITO_REQUEST_STATE = Symbol.for('nest-cognito-auth:state');

/** What authenticating came to: the result, or the error to answer with. */
export type AuthOutcome = { result: AuthResult; error?: undefined } | { result?: undefined; error: CognitoAuthError };

/** A carrier as the guard sees it: one slot, a promise while the outcome is being established. */
export interface StateCarrier {
  [COGNITO_REQUEST_STATE]?: AuthOutcome | Promise<AuthOutcome>;
  user?: unknown;
}

/** The result of an authenticated carrier, or undefined (anonymous, refused, or no guard ran). */
export function getAuthResult(carrier: unknown): AuthResult | undefined {
  const slot = (carrier as StateCarrier | undefined)?.[COGNITO_REQUEST_STATE];
  return slot instanceof Promise ? undefined : slot?.result;
}

/**
 * The carrier of an execution context, found without the DI container (parameter decorators
 * have none): the HTTP request; under GraphQL the HTTP request of its context (or graphql-ws's
 * connection context for subscriptions); the socket of a gateway; the message context of a
 * microservice.
 */
export function carrierOf(context: ExecutionContext): object | undefined {
  switch (context.getType<string>()) {
    case 'http':
      return asObject(context.getArgByIndex(0)); // the request, as switchToHttp().getRequest() gives it
    case 'graphql':
      return graphqlCarrierOf(context.getArgs()[2]);
    case 'ws':
      return asObject(context.switchToWs().getClient());
    case 'rpc':
      return rpcCarrierOf(context);
    default:
      return undefined;
  }
}

function asObject(value: unknown): object | undefined {
  return value !== null && typeof value === 'object' ? value : undefined;
}
