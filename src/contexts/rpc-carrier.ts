import type { ExecutionContext } from '@nestjs/common';

/** The parts of a message context that tell a per-message object, by shape. */
interface PerMessageShape {
  /** Nest's `BaseRpcContext`, created by its transports for each message. */
  getArgs?: unknown;
  getArgByIndex?: unknown;
  /** gRPC `Metadata`, one per call. */
  get?: unknown;
  getMap?: unknown;
}

/**
 * The per-message object of a microservice call, where the guard keeps the outcome: the message
 * context Nest's transports create for each message (NATS, RabbitMQ, Kafka, TCP, Redis, MQTT), or
 * the gRPC call's metadata. An unknown transport's context might be shared by many messages (a
 * socket, a channel), and an outcome kept there would answer for all of them, so there the payload
 * object is used, or nothing (the guard then authenticates on each run).
 */
export function rpcCarrierOf(context: ExecutionContext): object | undefined {
  const rpc = context.switchToRpc();
  const ctx = asObject(rpc.getContext<unknown>());
  const shape = ctx as PerMessageShape | undefined;
  const nestContext = typeof shape?.getArgs === 'function' && typeof shape.getArgByIndex === 'function';
  const grpcMetadata = typeof shape?.get === 'function' && typeof shape.getMap === 'function';
  if (nestContext || grpcMetadata) return ctx;
  return asObject(rpc.getData<unknown>());
}

function asObject(value: unknown): object | undefined {
  return value !== null && typeof value === 'object' ? value : undefined;
}
