import type { ExecutionContext } from '@nestjs/common';
import type { ContextTokens } from './context.adapter.js';
import { asciiLowerCase } from './header-name.js';

/**
 * The message fields the library reads, lower-cased. A refresh token is read only so that an
 * expired pair sent with one is refused as `token_expired` like any other: messages are never
 * refreshed, since there is no way to hand new tokens back.
 */
const NAMES = ['authorization', 'accesstoken', 'idtoken', 'refreshtoken'] as const;
type FieldName = (typeof NAMES)[number];
type Fields = Partial<Record<FieldName, string>>;

const BEARER = /^bearer[ \t]+(\S+)[ \t]*$/i;
const utf8 = new TextDecoder();

/** The parts of the transports' message contexts that are read, by shape (no transport class is imported). */
interface RpcContextShape {
  /** NATS: the message headers (`MsgHdrs`). */
  getHeaders?: () => unknown;
  /** RabbitMQ: the amqplib message (`properties.headers`); Kafka: the message (`headers`). */
  getMessage?: () => unknown;
  /** TCP and Redis (NestJS 12): the packet's out-of-band metadata. */
  getMetadata?: () => unknown;
}

/** NATS `MsgHdrs`: header names as sent, `get` matches a name exactly. */
interface NatsHeadersShape {
  keys(): Iterable<string>;
  get(name: string): unknown;
}

/** gRPC `Metadata` (@grpc/grpc-js): keys are lower-cased when set; `get` gives every value of a key. */
interface GrpcMetadataShape {
  get(name: string): unknown;
  getMap(): unknown;
}

/**
 * The tokens of a microservice message. Transports with headers give them by header, in any
 * case: `Authorization: Bearer <access token>`, `accesstoken`, `idtoken` (NATS message headers,
 * RabbitMQ `properties.headers`, Kafka headers, gRPC metadata, and the packet metadata of TCP and
 * Redis in NestJS 12). When those carry no token, the payload's `auth` member is read:
 * `{ accessToken, idToken }` (TCP, Redis and MQTT have no headers). As over HTTP, `accesstoken`
 * wins over Bearer, values are trimmed, and a blank value counts as absent.
 */
export function readRpcTokens(context: ExecutionContext): ContextTokens {
  const fromHeaders = tokensOf(headerFields(context));
  if (fromHeaders.access || fromHeaders.id || fromHeaders.refresh) return fromHeaders;
  return tokensOf(payloadFields(context.switchToRpc().getData<unknown>()));
}

function tokensOf(fields: Fields): ContextTokens {
  const bearer = fields.authorization ? BEARER.exec(fields.authorization)?.[1] : undefined;
  return { access: fields.accesstoken ?? bearer, id: fields.idtoken, refresh: fields.refreshtoken, source: 'header' };
}

/** The header-like fields of the message, found by the shape of its transport's context. */
function headerFields(context: ExecutionContext): Fields {
  const ctx = context.switchToRpc().getContext<unknown>();
  const grpc = grpcMetadataOf(context, ctx);
  if (grpc) return fromGrpcMetadata(grpc);
  if (!isObject(ctx)) return {};
  const shape = ctx as RpcContextShape;
  if (typeof shape.getHeaders === 'function') return fromHeaderBag(shape.getHeaders());
  if (typeof shape.getMessage === 'function') {
    const message = shape.getMessage() as { properties?: { headers?: unknown }; headers?: unknown } | undefined;
    return fromHeaderBag(isObject(message?.properties) ? message.properties.headers : message?.headers);
  }
  if (typeof shape.getMetadata === 'function') return fromHeaderBag(shape.getMetadata());
  return {};
}

/** gRPC: the handler's second argument is the call's metadata; streaming handlers get the call. */
function grpcMetadataOf(context: ExecutionContext, ctx: unknown): GrpcMetadataShape | undefined {
  const candidates = [ctx, metadataOf(context.getArgByIndex(2)), metadataOf(context.getArgByIndex(0))];
  return candidates.find(isGrpcMetadata);
}

function metadataOf(call: unknown): unknown {
  return isObject(call) ? (call as { metadata?: unknown }).metadata : undefined;
}

function isGrpcMetadata(value: unknown): value is GrpcMetadataShape {
  const m = value as Partial<GrpcMetadataShape> | undefined;
  return isObject(m) && typeof m.get === 'function' && typeof m.getMap === 'function';
}

function fromGrpcMetadata(metadata: GrpcMetadataShape): Fields {
  const fields: Fields = {};
  for (const name of NAMES) {
    const value = text(metadata.get(name));
    if (value !== undefined) fields[name] = value;
  }
  return fields;
}

/** A NATS `MsgHdrs`, or a plain record (RabbitMQ, Kafka, TCP/Redis metadata): names in any case. */
function fromHeaderBag(bag: unknown): Fields {
  if (!isObject(bag)) return {};
  const nats = bag as Partial<NatsHeadersShape>;
  const isNats = typeof nats.keys === 'function' && typeof nats.get === 'function';
  const names = isNats ? [...(nats as NatsHeadersShape).keys()] : Object.keys(bag);
  const fields: Fields = {};
  for (const name of names) {
    const field = fieldName(name);
    if (field === undefined || fields[field] !== undefined) continue;
    const value = text(isNats ? (nats as NatsHeadersShape).get(name) : (bag as Record<string, unknown>)[name]);
    if (value !== undefined) fields[field] = value;
  }
  return fields;
}

/** The payload's own `auth` member: `{ accessToken, idToken, refreshToken }`. */
function payloadFields(data: unknown): Fields {
  if (!isObject(data) || Array.isArray(data) || !Object.hasOwn(data, 'auth')) return {};
  const auth = (data as { auth?: unknown }).auth;
  if (!isObject(auth)) return {};
  // Strings only, as socket.io's handshake `auth`: the first-of-several rule is for headers.
  const own = (key: string): string | undefined => {
    const value = Object.hasOwn(auth, key) ? (auth as Record<string, unknown>)[key] : undefined;
    return typeof value === 'string' ? text(value) : undefined;
  };
  return { accesstoken: own('accessToken'), idtoken: own('idToken'), refreshtoken: own('refreshToken') };
}

function fieldName(name: string): FieldName | undefined {
  const lower = asciiLowerCase(name);
  return (NAMES as readonly string[]).includes(lower) ? (lower as FieldName) : undefined;
}

/** A header value as trimmed text: strings, bytes (Kafka, gRPC binary), or the first of several; blank is absent. */
function text(value: unknown): string | undefined {
  let raw: unknown = Array.isArray(value) ? value[0] : value;
  if (raw instanceof Uint8Array) raw = utf8.decode(raw);
  if (typeof raw !== 'string') return undefined;
  const trimmed = raw.trim();
  return trimmed === '' ? undefined : trimmed;
}

function isObject(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}
