import { type ExecutionContext, Injectable } from '@nestjs/common';
import type { CognitoAuthError } from '../errors/cognito-auth.errors.js';
import type { CognitoContextAdapter, ContextTokens } from './context.adapter.js';
import { carrierOf } from './request-state.js';

/** Reads tokens of microservice messages. */
@Injectable()
export class RpcContextAdapter implements CognitoContextAdapter {
  readonly canRefresh = false;
  readonly perConnection = false;

  /** Where the outcome is kept. */
  carrier(context: ExecutionContext): object | undefined {
    return carrierOf(context);
  }

  /** The tokens of the call. */
  readTokens(_context: ExecutionContext): ContextTokens {
    return { source: 'header' };
  }

  /** The refusal as this context throws it. */
  refuse(_context: ExecutionContext, error: CognitoAuthError): Error {
    return error;
  }
}
