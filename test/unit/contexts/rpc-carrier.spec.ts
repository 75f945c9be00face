import { Socket } from 'node:net';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { ExecutionContextHost } from '@nestjs/core/internal';
import {
  BaseRpcContext,
  JsonSocket,
  KafkaContext,
  MqttContext,
  NatsContext,
  RedisContext,
  RmqContext,
  TcpContext,
} from '@nestjs/microservices';
import { rpcCarrierOf } from '../../../src/contexts/rpc-carrier.js';

/**
 * `rpcCarrierOf`: the object a microservice message's outcome is kept on. It must be made for that
 * one message (Nest's per-message context, or a gRPC call's metadata), never something shared by
 * many messages (an unknown transport's socket or channel), or one caller's outcome would answer
 * for the next. The contexts are Nest's own classes, built with the arguments their servers pass.
 */

const rpcContext = (args: unknown[]): ExecutionContextHost => {
  const host = new ExecutionContextHost(args);
  host.setType('rpc');
  return host;
};
const carrierOf = (args: unknown[]): object | undefined => rpcCarrierOf(rpcContext(args));

/** @grpc/grpc-js `Metadata` is not installed here: the two methods the carrier tells it by, as it has them. */
class GrpcMetadata {
  get(_key: string): string[] {
    return [];
  }
  getMap(): Record<string, string> {
    return {};
  }
}

describe('rpcCarrierOf: the per-message context', () => {
  const payload = { n: 1 };
  const kafkaMessage = { key: null, value: Buffer.from('{}'), timestamp: '0', attributes: 0, offset: '0', headers: {} };
  const perMessage: [string, BaseRpcContext<unknown[]>][] = [
    ['NATS', new NatsContext(['subject.me', natsHeaders()])],
    ['RabbitMQ', new RmqContext([{ content: Buffer.from('{}'), fields: {}, properties: {} }, {}, 'pattern.me'])],
    // The consumer and producer are never read.
    ['Kafka', new KafkaContext([kafkaMessage, 0, 'topic.me', {} as never, async () => undefined, {} as never])],
    ['TCP', new TcpContext([new JsonSocket(new Socket()), 'pattern.me'])],
    ['Redis', new RedisContext(['channel.me'])],
    ['MQTT', new MqttContext(['topic/me', { cmd: 'publish' }])],
  ];

  it.each(perMessage)('%s: Nest`s message context itself, not the payload', (_transport, context) => {
    expect(carrierOf([payload, context])).toBe(context);
  });

  it('two messages of one transport get two carriers', () => {
    const first = new RedisContext(['channel.me']);
    const second = new RedisContext(['channel.me']);
    expect(carrierOf([{ n: 1 }, first])).not.toBe(carrierOf([{ n: 1 }, second]));
  });

  it('gRPC: the call`s metadata (the handler`s second argument)', () => {
    const metadata = new GrpcMetadata();
    expect(carrierOf([payload, metadata, { metadata }])).toBe(metadata);
  });
});

describe('rpcCarrierOf: an unknown transport`s context may be shared, so it is never the carrier', () => {
  it('a context of another shape: the payload object is the carrier', () => {
    const shared = { socket: 'shared by every message' };
    const payload = { n: 1 };
    expect(carrierOf([payload, shared])).toBe(payload);
  });

  it('half of a shape is not the shape: `getArgs` without `getArgByIndex`, `get` without `getMap`', () => {
    const payload = { n: 1 };
    expect(carrierOf([payload, { getArgs: () => [] }])).toBe(payload);
    expect(carrierOf([payload, { getArgByIndex: () => undefined }])).toBe(payload);
    expect(carrierOf([payload, { get: () => [] }])).toBe(payload);
    expect(carrierOf([payload, { getMap: () => ({}) }])).toBe(payload);
  });

  it('members that are not functions (what JSON can carry) are not the shape', () => {
    const payload = { n: 1 };
    const forged = JSON.parse('{"getArgs":[],"getArgByIndex":0,"get":"x","getMap":{}}') as unknown;
    expect(carrierOf([payload, forged])).toBe(payload);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'pattern'],
    ['a number', 7],
  ])('a context that is %s: the payload object', (_label, context) => {
    const payload = { n: 1 };
    expect(carrierOf([payload, context])).toBe(payload);
  });

  it('a payload that is an array or a Buffer (made for this message by the deserializer) is an object: the carrier', () => {
    const list = [{ n: 1 }];
    const bytes = Buffer.from('raw');
    expect(carrierOf([list, { socket: 'shared' }])).toBe(list);
    expect(carrierOf([bytes, { socket: 'shared' }])).toBe(bytes);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'hello'],
    ['a number', 42],
    ['a boolean', false],
  ])('with a payload that is %s: no carrier (the guard authenticates on each run)', (_label, payload) => {
    expect(carrierOf([payload, { socket: 'shared' }])).toBeUndefined();
    expect(carrierOf([payload])).toBeUndefined();
  });
});
