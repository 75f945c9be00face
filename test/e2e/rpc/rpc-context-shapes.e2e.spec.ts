import { Controller, type INestApplicationContext } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/internal';
import { KafkaContext, MessagePattern, RmqContext, RpcException } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { CognitoAuthModule, CognitoGuard } from '../../../src/index.js';
import { carrierOf, getAuthResult } from '../../../src/contexts/request-state.js';
import { TestIdentityProvider, type IssuedTokens } from '../../../src/testing/index.js';
import { GrpcMetadata } from '../../support/grpc-metadata.js';

/**
 * The real guard on the real message contexts of transports with no broker on this machine
 * (Kafka; gRPC, whose @grpc/grpc-js is not installed): what their servers hand a handler, built
 * the way their servers build it. The wire itself is covered by rpc-transports.e2e.spec.ts.
 */
@Controller()
class ShapesController {
  @MessagePattern('shapes.me')
  me(): void {}
}

describe('CognitoGuard on the message contexts of Kafka and gRPC', () => {
  let idp: TestIdentityProvider;
  let app: INestApplicationContext;
  let guard: CognitoGuard;
  let tokens: IssuedTokens;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start({ clients: [{ clientId: 'client-shapes' }] });
    const moduleRef = await Test.createTestingModule({
      imports: [CognitoAuthModule.forRoot(idp.moduleOptions())],
      controllers: [ShapesController],
    }).compile();
    app = await moduleRef.init();
    guard = app.get(CognitoGuard);
    tokens = await idp.issueTokens({ sub: 'shape-1' });
  });
  afterAll(async () => {
    await app?.close();
    await idp?.close();
  });

  /** The execution context Nest's RPC proxy builds for a handler called with `args`. */
  const rpcContext = (args: unknown[]): ExecutionContextHost => {
    const host = new ExecutionContextHost(args, ShapesController, ShapesController.prototype.me);
    host.setType('rpc');
    return host;
  };
  const callerOf = async (args: unknown[]): Promise<string | undefined> => {
    const context = rpcContext(args);
    expect(await guard.canActivate(context)).toBe(true);
    return getAuthResult(carrierOf(context))?.identity.sub;
  };
  const refusalOf = async (args: unknown[]): Promise<unknown> => {
    const error = await Promise.resolve()
      .then(() => guard.canActivate(rpcContext(args)))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(RpcException);
    return (error as RpcException).getError();
  };

  const kafkaArgs = (headers: Record<string, Buffer | string | undefined>, data: unknown = { n: 1 }): unknown[] => {
    const message = { key: null, value: Buffer.from(JSON.stringify(data)), timestamp: '0', attributes: 0, offset: '0', headers };
    return [data, new KafkaContext([message, 0, 'shapes.me', {} as never, async () => undefined, {} as never])];
  };

  it('Kafka: message headers as bytes, in any case', async () => {
    const headers = { Authorization: Buffer.from(`Bearer ${tokens.accessToken}`), IDTOKEN: Buffer.from(tokens.idToken), other: undefined };
    expect(await callerOf(kafkaArgs(headers))).toBe('shape-1');
    expect(await callerOf(kafkaArgs({ accesstoken: tokens.accessToken, idtoken: tokens.idToken }))).toBe('shape-1');
  });

  it('Kafka: no header is token_missing, a bad one token_invalid', async () => {
    expect(await refusalOf(kafkaArgs({}))).toEqual({ status: 401, code: 'token_missing', message: 'Authentication token missing' });
    expect(await refusalOf(kafkaArgs({ accesstoken: Buffer.from('x.y.z'), idtoken: Buffer.from(tokens.idToken) }))).toMatchObject({
      status: 401,
      code: 'token_invalid',
    });
  });

  it('RabbitMQ: properties.headers of the amqplib message, names in any case', async () => {
    const message = {
      content: Buffer.from('{}'),
      fields: {},
      properties: { headers: { accessToken: tokens.accessToken, IdToken: tokens.idToken } },
    };
    expect(await callerOf([{}, new RmqContext([message, {}, 'shapes.me'])])).toBe('shape-1');
  });

  it('gRPC: the call metadata (second argument), any case', async () => {
    const metadata = new GrpcMetadata();
    metadata.add('Authorization', `Bearer ${tokens.accessToken}`);
    metadata.add('IdToken', tokens.idToken);
    expect(await callerOf([{ id: 1 }, metadata, { metadata }])).toBe('shape-1');
  });

  it('gRPC streaming: the metadata of the call handed over alone', async () => {
    const metadata = new GrpcMetadata();
    metadata.add('accesstoken', tokens.accessToken);
    metadata.add('idtoken-bin', Buffer.from('ignored'));
    metadata.add('idtoken', tokens.idToken);
    expect(await callerOf([{ metadata, request: {} }])).toBe('shape-1');
  });

  it('gRPC: empty metadata is token_missing, and a payload `metadata` member is not mistaken for it', async () => {
    const forged = { metadata: { authorization: `Bearer ${tokens.accessToken}` } };
    expect(await refusalOf([forged, new GrpcMetadata(), {}])).toMatchObject({ status: 401, code: 'token_missing' });
  });

  it('an unknown transport whose context is shared keeps no outcome on it: each message is checked', async () => {
    const shared = { socket: 'shared' };
    expect(await callerOf([{ auth: { accessToken: tokens.accessToken, idToken: tokens.idToken } }, shared])).toBe('shape-1');
    expect(await refusalOf([{ n: 2 }, shared])).toMatchObject({ code: 'token_missing' });
  });
});
