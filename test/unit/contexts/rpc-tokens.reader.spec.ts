import { Socket } from 'node:net';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { ExecutionContextHost } from '@nestjs/core/internal';
import { JsonSocket, KafkaContext, MqttContext, NatsContext, RedisContext, RmqContext, TcpContext } from '@nestjs/microservices';
import type { ContextTokens } from '../../../src/contexts/context.adapter.js';
import { readRpcTokens } from '../../../src/contexts/rpc-tokens.reader.js';
import { GrpcMetadata } from '../../support/grpc-metadata.js';

/**
 * `readRpcTokens`, rule by rule: transports with headers give
 * `authorization` (Bearer) / `accesstoken` / `idtoken` in any case (NATS message headers, RabbitMQ
 * `properties.headers`, Kafka headers as strings or bytes, gRPC metadata, TCP and Redis packet
 * metadata); when they carry no token, the payload's `auth = { accessToken, idToken }`. Values are
 * trimmed and a blank one is absent; `accesstoken` wins over Bearer.
 *
 * The message contexts are Nest's own classes and NATS's own `MsgHdrs`, built with the arguments
 * their servers pass; the execution context is Nest's `ExecutionContextHost` with type `rpc`.
 */

/** What a value the transport's TypeScript type does not allow, but its wire can carry, is typed as. */
const wire = <T>(value: unknown): T => value as T;

const rpcContext = (args: unknown[]): ExecutionContextHost => {
  const host = new ExecutionContextHost(args);
  host.setType('rpc');
  return host;
};
const read = (args: unknown[]): ContextTokens => readRpcTokens(rpcContext(args));

/** NATS: `[payload, NatsContext([subject, MsgHdrs])]`, as ServerNats calls a handler. */
const nats = (entries: [string, string][], data: unknown = { n: 1 }): unknown[] => {
  const hdrs: MsgHdrs = natsHeaders();
  for (const [name, value] of entries) hdrs.append(name, value);
  return [data, new NatsContext(['subject.me', hdrs])];
};
/** RabbitMQ: the amqplib message in an RmqContext; headers under `properties.headers`. */
const rmq = (headers: unknown, data: unknown = { n: 1 }): unknown[] => {
  const message = { content: Buffer.from('{}'), fields: {}, properties: { headers } };
  return [data, new RmqContext([message, {}, 'pattern.me'])];
};
/** Kafka: the KafkaJS message in a KafkaContext; header values are Buffers (or strings when produced so). */
const kafka = (headers: unknown, data: unknown = { n: 1 }): unknown[] => {
  const message = {
    key: null,
    value: Buffer.from('{}'),
    timestamp: '0',
    attributes: 0,
    offset: '0',
    headers: wire<Record<string, string>>(headers),
  };
  // The consumer and producer are never read by the reader.
  return [data, new KafkaContext([message, 0, 'topic.me', wire<never>({}), async () => undefined, wire<never>({})])];
};
/** TCP (NestJS 12): the packet's metadata in a TcpContext, next to an unconnected socket. */
const tcp = (metadata: unknown, data: unknown = { n: 1 }): unknown[] => [
  data,
  new TcpContext([new JsonSocket(new Socket()), 'pattern.me', wire<Record<string, string>>(metadata)]),
];
/** Redis (NestJS 12): the packet's metadata in a RedisContext. */
const redis = (metadata: unknown, data: unknown = { n: 1 }): unknown[] => [
  data,
  new RedisContext(['channel.me', wire<Record<string, string>>(metadata)]),
];
/** MQTT: no headers Nest reads; the packet alone. */
const mqtt = (data: unknown): unknown[] => [data, new MqttContext(['topic/me', { cmd: 'publish', topic: 'topic/me' }])];

const NONE: ContextTokens = { access: undefined, id: undefined, refresh: undefined, source: 'header' };
const tokens = (access?: string, id?: string, refresh?: string): ContextTokens => ({ access, id, refresh, source: 'header' });

/** Every casing a sender might use for a name. */
const casings = (name: string): string[] => [
  name,
  name.toUpperCase(),
  name[0]!.toUpperCase() + name.slice(1),
  [...name].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join(''),
];

describe('readRpcTokens: header names in any case, per transport', () => {
  it('NATS: the message headers as sent (NATS keeps the case of a name)', () => {
    expect(
      read(
        nats([
          ['Authorization', 'Bearer acc.1'],
          ['IdToken', 'id.1'],
          ['REFRESHTOKEN', 'ref.1'],
        ]),
      ),
    ).toEqual(tokens('acc.1', 'id.1', 'ref.1'));
    expect(
      read(
        nats([
          ['ACCESSTOKEN', 'acc.2'],
          ['idtoken', 'id.2'],
        ]),
      ),
    ).toEqual(tokens('acc.2', 'id.2'));
  });

  it('RabbitMQ: properties.headers of the amqplib message', () => {
    expect(read(rmq({ accessToken: 'acc.1', IDTOKEN: 'id.1' }))).toEqual(tokens('acc.1', 'id.1'));
    expect(read(rmq({ AUTHORIZATION: 'Bearer acc.2' }))).toEqual(tokens('acc.2'));
  });

  it('Kafka: header values as Buffers or strings', () => {
    expect(read(kafka({ Authorization: Buffer.from('Bearer acc.1'), IDTOKEN: Buffer.from('id.1') }))).toEqual(tokens('acc.1', 'id.1'));
    expect(read(kafka({ accesstoken: 'acc.2', idToken: 'id.2', other: undefined }))).toEqual(tokens('acc.2', 'id.2'));
  });

  it('Kafka: a header sent several times gives its first value', () => {
    expect(read(kafka({ accesstoken: [Buffer.from('first'), Buffer.from('second')], idtoken: ['id.1', 'id.2'] }))).toEqual(
      tokens('first', 'id.1'),
    );
  });

  it('gRPC: the metadata handed to a unary handler (its second argument), in any case', () => {
    const metadata = new GrpcMetadata([
      ['Authorization', 'Bearer acc.1'],
      ['IdToken', 'id.1'],
    ]);
    expect(read([{ id: 1 }, metadata, { metadata }])).toEqual(tokens('acc.1', 'id.1'));
  });

  it('gRPC: the metadata of the call object (third argument; first for a streaming handler)', () => {
    const metadata = new GrpcMetadata([
      ['accesstoken', 'acc.1'],
      ['idtoken', Buffer.from('id.1')],
    ]);
    expect(read([{ id: 1 }, undefined, { metadata }])).toEqual(tokens('acc.1', 'id.1'));
    expect(read([{ metadata, request: {} }])).toEqual(tokens('acc.1', 'id.1'));
  });

  it('gRPC: a binary `-bin` key is another key, not the token', () => {
    const metadata = new GrpcMetadata([['idtoken-bin', Buffer.from('id.bin')]]);
    expect(read([{}, metadata, {}])).toEqual(NONE);
  });

  it('TCP and Redis (NestJS 12): the packet metadata', () => {
    expect(read(tcp({ Authorization: 'Bearer acc.1', idtoken: 'id.1' }))).toEqual(tokens('acc.1', 'id.1'));
    expect(read(redis({ AccessToken: 'acc.2', IDTOKEN: 'id.2' }))).toEqual(tokens('acc.2', 'id.2'));
  });

  it.each(['authorization', 'accesstoken', 'idtoken', 'refreshtoken'])('reads `%s` in every casing', (name) => {
    const value = name === 'authorization' ? 'Bearer tok.1' : 'tok.1';
    const expected = { authorization: 'access', accesstoken: 'access', idtoken: 'id', refreshtoken: 'refresh' }[name] as
      'access' | 'id' | 'refresh';
    for (const casing of casings(name)) {
      expect(read(rmq({ [casing]: value }))[expected]).toBe('tok.1');
      expect(read(nats([[casing, value]]))[expected]).toBe('tok.1');
    }
  });

  it('reads no other name: dashes, underscores, prefixes and suffixes are other headers', () => {
    const others = {
      'access-token': 'a',
      access_token: 'b',
      'x-access-token': 'c',
      idtokens: 'd',
      'id-token': 'e',
      'x-authorization': 'Bearer f',
      auth: 'g',
    };
    expect(read(rmq(others, { n: 1 }))).toEqual(NONE);
  });

  // A lookalike that is not the name in any case: U+212A KELVIN SIGN lower-cases to `k` in
  // Unicode, so `idto\u212Aen`.toLowerCase() === 'idtoken'. Header names are compared ASCII
  // case-insensitively (RFC 9110 section 5.1); a filter in front of the service that strips
  // `idtoken` would miss this one.
  it('reads no name that only Unicode case mapping turns into one (KELVIN SIGN for k)', () => {
    expect(read(kafka({ 'idto\u212Aen': 'id.lookalike', 'accessto\u212Aen': 'acc.lookalike' }))).toEqual(NONE);
  });

  it('two casings of one name in one bag: the first that holds a value', () => {
    expect(read(rmq({ AccessToken: 'first', accesstoken: 'second' })).access).toBe('first');
    expect(read(rmq({ AccessToken: '   ', accesstoken: 'second' })).access).toBe('second');
    expect(
      read(
        nats([
          ['IdToken', 'first'],
          ['IDTOKEN', 'second'],
        ]),
      ).id,
    ).toBe('first');
  });
});

describe('readRpcTokens: Authorization: Bearer', () => {
  const accessOf = (authorization: unknown): string | undefined => read(rmq({ authorization })).access;

  it('takes the scheme in any case, then spaces or tabs, then one run of non-whitespace', () => {
    expect(accessOf('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(accessOf('bEaReR \t  abc.def.ghi')).toBe('abc.def.ghi');
    expect(accessOf('BEARER\tabc')).toBe('abc');
    expect(accessOf('  Bearer abc  ')).toBe('abc');
  });

  it('is no token for another scheme, no blank after the scheme, or nothing after it', () => {
    expect(accessOf('Basic dXNlcjpwYXNz')).toBeUndefined();
    expect(accessOf('Bearerabc.def')).toBeUndefined();
    expect(accessOf('Bearer')).toBeUndefined();
    expect(accessOf('Bearer    ')).toBeUndefined();
    expect(accessOf('abc.def.ghi')).toBeUndefined();
  });

  it('is no token when whitespace splits the value, or separates it from the scheme with other than space or tab', () => {
    expect(accessOf('Bearer abc def')).toBeUndefined();
    expect(accessOf('Bearer abc\ndef')).toBeUndefined();
    expect(accessOf('Bearer abc\u00a0def')).toBeUndefined();
    expect(accessOf('Bearer\u00a0abc')).toBeUndefined();
    expect(accessOf('Bearer\nabc')).toBeUndefined();
  });

  it('`accesstoken` wins over Bearer; Bearer stands in when `accesstoken` is blank', () => {
    expect(read(rmq({ Authorization: 'Bearer from.bearer', AccessToken: 'from.header' })).access).toBe('from.header');
    expect(read(rmq({ AccessToken: 'from.header', Authorization: 'Bearer from.bearer' })).access).toBe('from.header');
    expect(read(rmq({ Authorization: 'Bearer from.bearer', AccessToken: ' \t ' })).access).toBe('from.bearer');
  });

  it('a Bearer value is never an ID token', () => {
    expect(read(rmq({ authorization: 'Bearer only.access' }))).toEqual(tokens('only.access'));
  });
});

describe('readRpcTokens: values trimmed, blank is absent, anything but text is absent', () => {
  const idOf = (value: unknown): string | undefined => read(kafka({ idtoken: value })).id;

  it('trims strings and bytes', () => {
    expect(idOf('  id.1 \t')).toBe('id.1');
    expect(idOf(Buffer.from('\n id.2 \r\n'))).toBe('id.2');
    expect(idOf(new Uint8Array(Buffer.from(' id.3 ')))).toBe('id.3');
  });

  it.each([
    ['an empty string', ''],
    ['spaces and tabs', ' \t  '],
    ['line breaks', '\r\n'],
    ['Unicode spaces', '\u00a0\u3000\ufeff'],
    ['empty bytes', Buffer.alloc(0)],
    ['bytes of spaces', Buffer.from('   ')],
  ])('%s is absent', (_label, value) => {
    expect(idOf(value)).toBeUndefined();
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a number', 12345],
    ['a bigint', 12345n],
    ['a boolean', true],
    ['an object', { value: 'id.1' }],
    ['an object with toString', { toString: () => 'id.1' }],
    ['an empty array', []],
    ['a nested array', [['id.1']]],
    ['an array starting with a number', [1, 'id.1']],
    ['an ArrayBuffer', new ArrayBuffer(4)],
  ])('%s is absent', (_label, value) => {
    expect(idOf(value)).toBeUndefined();
  });

  it('of several values the first decides: a blank first value is absent, not skipped', () => {
    expect(idOf(['', 'id.second'])).toBeUndefined();
    expect(idOf([' id.first ', 'id.second'])).toBe('id.first');
  });

  it('bytes that are not UTF-8 decode with U+FFFD (verification then refuses them)', () => {
    expect(idOf(Buffer.from([0x61, 0xff, 0x62]))).toBe('a\ufffdb');
  });

  it('a huge value is passed on whole: its length is the verifier`s rule (maxTokenLength), not the reader`s', () => {
    const huge = 'h'.repeat(1_000_000);
    expect(idOf(huge)).toBe(huge);
    expect(read(rmq({ authorization: `Bearer ${huge}` })).access).toBe(huge);
    expect(read(rmq({ authorization: `Bearer ${huge} x` })).access).toBeUndefined();
  });
});

describe('readRpcTokens: header bags that are not there or not bags', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'accesstoken: acc.1'],
    ['a number', 42],
    ['an array', ['Bearer acc.1', 'acc.1']],
  ])('RabbitMQ headers that are %s: no tokens', (_label, bag) => {
    expect(read(rmq(bag))).toEqual(NONE);
  });

  it('a bag with `keys()` and `get()` (a Map, like NATS `MsgHdrs`) is read by its keys, in any case', () => {
    expect(
      read(
        rmq(
          new Map<string, unknown>([
            ['AccessToken', ' acc.1 '],
            ['idtoken', Buffer.from('id.1')],
          ]),
        ),
      ),
    ).toEqual(tokens('acc.1', 'id.1'));
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'Bearer acc.1'],
    ['an array', [['accesstoken', 'acc.1']]],
  ])('TCP metadata that is %s: no tokens', (_label, metadata) => {
    expect(read(tcp(metadata))).toEqual(NONE);
  });

  it('NATS without headers: no tokens', () => {
    expect(read([{ n: 1 }, new NatsContext(['subject.me', undefined])])).toEqual(NONE);
  });

  it('no context, or a context of unknown shape: no tokens', () => {
    expect(read([{ n: 1 }])).toEqual(NONE);
    expect(read([{ n: 1 }, null])).toEqual(NONE);
    expect(read([{ n: 1 }, 'a string context'])).toEqual(NONE);
    expect(read([{ n: 1 }, { headers: { accesstoken: 'acc.1' } }])).toEqual(NONE);
  });

  it('a payload `metadata` member is not gRPC metadata: JSON has no functions', () => {
    const forged = JSON.parse('{"metadata":{"accesstoken":"acc.forged","get":"x","getMap":"y"}}') as unknown;
    expect(read([forged, new GrpcMetadata(), {}])).toEqual(NONE);
  });
});

describe('readRpcTokens: the payload`s `auth` member, when the headers carry no token', () => {
  const auth = { accessToken: ' acc.p ', idToken: 'id.p', refreshToken: 'ref.p' };

  it('TCP, Redis and MQTT: `auth = { accessToken, idToken, refreshToken }`, trimmed', () => {
    expect(read(tcp(undefined, { auth }))).toEqual(tokens('acc.p', 'id.p', 'ref.p'));
    expect(read(redis(undefined, { auth, other: 1 }))).toEqual(tokens('acc.p', 'id.p', 'ref.p'));
    expect(read(mqtt({ auth: { idToken: 'id.only' } }))).toEqual(tokens(undefined, 'id.only'));
  });

  it('a transport with headers falls back to it when they carry no token (only other names, a blank one, another scheme)', () => {
    expect(read(nats([['trace-id', 'abc']], { auth }))).toEqual(tokens('acc.p', 'id.p', 'ref.p'));
    expect(read(rmq({ accesstoken: '   ' }, { auth }))).toEqual(tokens('acc.p', 'id.p', 'ref.p'));
    expect(read(kafka({ authorization: 'Basic dXNlcjpwYXNz' }, { auth }))).toEqual(tokens('acc.p', 'id.p', 'ref.p'));
    expect(read([{ auth }, new GrpcMetadata(), {}])).toEqual(tokens('acc.p', 'id.p', 'ref.p'));
  });

  it('the two sources are never mixed: any header token wins, the payload is then not read', () => {
    expect(read(nats([['idtoken', 'id.h']], { auth }))).toEqual(tokens(undefined, 'id.h'));
    expect(read(rmq({ refreshtoken: 'ref.h' }, { auth }))).toEqual(tokens(undefined, undefined, 'ref.h'));
    expect(read(tcp({ authorization: 'Bearer acc.h' }, { auth }))).toEqual(tokens('acc.h'));
  });

  it('the member names are exact: other casings and header names in `auth` are not read', () => {
    const odd = {
      accesstoken: 'a',
      AccessToken: 'b',
      ACCESSTOKEN: 'c',
      idtoken: 'd',
      IdToken: 'e',
      authorization: 'Bearer f',
      Authorization: 'Bearer g',
    };
    expect(read(mqtt({ auth: odd }))).toEqual(NONE);
    expect(read(mqtt({ Auth: auth }))).toEqual(NONE);
    expect(read(mqtt({ AUTH: auth }))).toEqual(NONE);
  });

  it('Bearer is not read from the payload', () => {
    expect(read(mqtt({ auth: { accessToken: 'Bearer acc.1' } })).access).toBe('Bearer acc.1');
  });

  it.each([
    ['null', null],
    ['a string', 'auth'],
    ['a number', 7],
    ['an array holding an auth object', [{ auth }]],
    ['a Buffer', Buffer.from(JSON.stringify({ auth }))],
  ])('a payload that is %s: no tokens', (_label, data) => {
    expect(read(mqtt(data))).toEqual(NONE);
  });

  it.each([
    ['null', null],
    ['a string', 'Bearer acc.1'],
    ['a number', 1],
    ['an array', ['acc.1', 'id.1']],
  ])('an `auth` that is %s: no tokens', (_label, value) => {
    expect(read(mqtt({ auth: value }))).toEqual(NONE);
  });

  it.each([
    ['null', null],
    ['a number', 42],
    ['an object', { token: 'acc.1' }],
    ['blank', ' \n '],
  ])('a token that is %s is absent', (_label, value) => {
    expect(read(mqtt({ auth: { accessToken: value, idToken: 'id.1' } }))).toEqual(tokens(undefined, 'id.1'));
  });

  it('only own members count: an inherited `auth` or token is not read (JSON `__proto__` included)', () => {
    const viaProto = JSON.parse(`{"__proto__":{"auth":${JSON.stringify(auth)}}}`) as unknown;
    expect(read(mqtt(viaProto))).toEqual(NONE);
    expect(read(mqtt(Object.create({ auth }) as unknown))).toEqual(NONE);
    expect(read(mqtt({ auth: Object.create({ accessToken: 'acc.inherited' }) as unknown }))).toEqual(NONE);
  });

  // Only headers take the first of several values: a payload token (JSON can carry an array) must
  // be a string, as in socket.io's handshake `auth`.
  it('a payload token that is an array is absent, as in socket.io`s handshake auth', () => {
    expect(read(mqtt({ auth: { accessToken: ['acc.1', 'acc.2'], idToken: 'id.1' } }))).toEqual(tokens(undefined, 'id.1'));
  });
});
