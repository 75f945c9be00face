import { type ExecutionContext, Injectable, type OnModuleInit } from '@nestjs/common';
import type { CognitoAuthError } from '../errors/cognito-auth.errors.js';
import type { CognitoContextAdapter, ContextTokens } from './context.adapter.js';
import { carrierOf } from './request-state.js';
import { loadRpcException, toRpcException } from './rpc-exception.factory.js';
import { readRpcTokens } from './rpc-tokens.reader.js';

/**
 * Microservice messages (`@MessagePattern`, `@EventPattern`) over any Nest transport. Tokens come
 * from the message's headers or metadata (`authorization: Bearer`, `accesstoken`, `idtoken`, in any
 * case) where the transport has them (NATS, RabbitMQ, Kafka, gRPC), else from the payload's
 * `auth = { accessToken, idToken }` member (TCP, Redis, MQTT). A message is authenticated once,
 * however many guards run on it, and never refreshed: there is no way to hand new tokens back, so
 * an expired token is refused with `token_expired` and the client refreshes on its side. A
 * refusal is an `RpcException` whose error is `{ status, code, message }`.
 */
@Injectable()
export class RpcContextAdapter implements CognitoContextAdapter, OnModuleInit {
  readonly canRefresh = false;
  readonly perConnection = false;

  /** Loads `RpcException` from `@nestjs/microservices` (an optional peer) before any message arrives. */
  async onModuleInit(): Promise<void> {
    await loadRpcException();
  }

  /** The message's own context object (NATS, RabbitMQ, Kafka, TCP...) or the gRPC call's metadata. */
  carrier(context: ExecutionContext): object | undefined {
    return carrierOf(context);
  }

  /** The message's headers or metadata, else its payload's `auth` member. */
  readTokens(context: ExecutionContext): ContextTokens {
    return readRpcTokens(context);
  }

  /** An `RpcException` with `{ status, code, message }`. */
  refuse(_context: ExecutionContext, error: CognitoAuthError): Error {
    return toRpcException(error);
  }
}
