/**
 * A Nest microservice with CognitoAuthModule (global guard) and probe handlers, on a real
 * transport, with a real `ClientProxy` of that transport to call it.
 *
 *   NATS: 127.0.0.1:4222 (RPC_NATS_URL), needs `@nats-io/transport-node` (NestJS 12's NATS client)
 *   RabbitMQ: 127.0.0.1:5672 as guest/guest (RPC_RMQ_URL)
 *   Redis: 127.0.0.1:6379 (RPC_REDIS_URL)
 *   TCP: a free loopback port
 *   REQUIRE_DB=1 (CI): a broker that does not answer fails the spec instead of skipping it.
 *
 * Subjects and queues are unique per app, so specs and runs never see each other's messages.
 */
import { randomBytes } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { Controller, type INestApplication, type INestMicroservice, type Provider, type Type, UseGuards } from '@nestjs/common';
import {
  type ClientOptions,
  ClientProxyFactory,
  EventPattern,
  MessagePattern,
  NatsRecordBuilder,
  Payload,
  RmqRecordBuilder,
  Transport,
} from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { firstValueFrom, timeout } from 'rxjs';
import { CognitoAuthModule, CognitoGuard, CurrentUser, Groups, Public, type CognitoAuthForRootOptions } from '../../src/index.js';
import { CaptureLogger } from './capture-logger.js';
import { waitFor } from './clock.js';
import { ProbeController } from './test-app.js';

/** The transports the RPC specs run on. */
export type RpcTransport = 'nats' | 'rmq' | 'redis' | 'tcp';

const NATS_URL = process.env.RPC_NATS_URL ?? 'nats://127.0.0.1:4222';
const RMQ_URL = process.env.RPC_RMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const REDIS_URL = process.env.RPC_REDIS_URL ?? 'redis://127.0.0.1:6379';
const BROKERS: Record<Exclude<RpcTransport, 'tcp'>, { name: string; url: string; port: number }> = {
  nats: { name: 'NATS', url: NATS_URL, port: 4222 },
  rmq: { name: 'RabbitMQ', url: RMQ_URL, port: 5672 },
  redis: { name: 'Redis', url: REDIS_URL, port: 6379 },
};

/**
 * What a message carries besides its data: tokens as headers (NATS, RabbitMQ), as packet metadata
 * (TCP and Redis, NestJS 12: set by the client's dispatch hook) or as the payload's `auth` member.
 */
export interface RpcCall {
  readonly headers?: Readonly<Record<string, string>>;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly auth?: Readonly<Record<string, string>>;
}

/** Shape of the principal `@CurrentUser()` gives when user sync is off. */
interface Principal {
  readonly sub?: string;
}

/** What the probe's event handler received: the payload's `n` and the caller. */
export interface ReceivedEvent {
  readonly n: unknown;
  readonly sub: string | null;
}

/** `waitFor` with 5 ms between checks, for what a broker delivers; fails after 2000 checks (a safety net). */
export function waitUntil(check: () => boolean, what: string): Promise<void> {
  return waitFor(check, what, 2000, 5);
}

/** The probe handlers, with patterns under `prefix` (NATS subjects are patterns: one prefix per app). */
export function rpcProbeControllers(prefix: string, events: ReceivedEvent[] = []): Type[] {
  @Controller()
  class RpcProbeController {
    @EventPattern(`${prefix}.event`)
    event(@Payload() data: { n?: unknown }, @CurrentUser('sub') sub: unknown): void {
      events.push({ n: data.n, sub: typeof sub === 'string' ? sub : null });
    }

    @MessagePattern(`${prefix}.me`)
    me(@CurrentUser() user: unknown): unknown {
      return user;
    }

    @MessagePattern(`${prefix}.echo`)
    echo(@Payload() data: unknown, @CurrentUser('sub') sub: string | undefined): { sub: string | null; data: unknown } {
      return { sub: sub ?? null, data };
    }

    @Groups('admin')
    @MessagePattern(`${prefix}.admin`)
    admin(): { ok: true } {
      return { ok: true };
    }

    @Public()
    @MessagePattern(`${prefix}.open`)
    open(@CurrentUser() user: Principal | undefined): { user: string | null } {
      return { user: user?.sub ?? null };
    }
  }

  @Controller()
  @UseGuards(CognitoGuard)
  class RpcGuardedController {
    @MessagePattern(`${prefix}.guarded`)
    guarded(@CurrentUser('sub') sub: string): { sub: string } {
      return { sub };
    }
  }
  return [RpcProbeController, RpcGuardedController];
}

/** A running microservice app and a connected client of its transport. */
export interface RpcApp {
  readonly transport: RpcTransport;
  /** The microservice, or with `http: true` the HTTP app it is connected to (one module, one guard). */
  readonly app: INestMicroservice | INestApplication;
  /** With `http: true`: the app's HTTP server on a loopback port, serving the HTTP probe routes (`/t/...`). */
  readonly httpServer?: HttpServer;
  readonly logger: CaptureLogger;
  /** What the probe's `@EventPattern` handler received, in order. */
  readonly events: ReceivedEvent[];
  /** Emits an event to `<prefix>.<name>`; resolves once the client has handed it to the transport. */
  emit(name: string, data?: Record<string, unknown>, call?: RpcCall): Promise<void>;
  /** Sends `data` to `<prefix>.<name>`; resolves with the answer, rejects with what the client's observable errors with. */
  send<T = unknown>(name: string, data?: Record<string, unknown>, call?: RpcCall): Promise<T>;
  /** The error the client receives for the call (fails the test when the call is answered instead). */
  sendError(name: string, data?: Record<string, unknown>, call?: RpcCall): Promise<unknown>;
  close(): Promise<void>;
}

/** Options of {@link startRpcApp}. */
export interface RpcAppOptions {
  readonly providers?: Provider[];
  /**
   * A hybrid app: an HTTP app serving the HTTP probe routes of test-app.ts (`/t/me`, `/t/open`...)
   * with the microservice connected to it (`inheritAppConfig: true`, without which Nest runs no
   * global guard on the microservice's messages).
   */
  readonly http?: boolean;
}

/** Boots the probe handlers as a microservice on `transport` and connects a client to it. */
export async function startRpcApp(transport: RpcTransport, auth: CognitoAuthForRootOptions, options: RpcAppOptions = {}): Promise<RpcApp> {
  const prefix = `nca.${randomBytes(6).toString('hex')}`;
  const logger = new CaptureLogger();
  const events: ReceivedEvent[] = [];
  const moduleRef = await Test.createTestingModule({
    imports: [CognitoAuthModule.forRoot(auth)],
    controllers: [...rpcProbeControllers(prefix, events), ...(options.http ? [ProbeController] : [])],
    providers: options.providers ?? [],
  })
    .setLogger(logger)
    .compile();
  const server = transportOptions(transport, prefix, 0);
  let app: INestMicroservice | INestApplication;
  let microservice: INestMicroservice;
  let httpServer: HttpServer | undefined;
  if (options.http) {
    const hybrid = moduleRef.createNestApplication({ logger });
    // Nest keeps APP_GUARD guards (the module's global CognitoGuard) in the HTTP app's config: a
    // connected microservice runs them only when it inherits that config.
    microservice = hybrid.connectMicroservice<ClientOptions>(server, { inheritAppConfig: true });
    await hybrid.startAllMicroservices();
    await hybrid.listen(0, '127.0.0.1');
    httpServer = hybrid.getHttpServer() as HttpServer;
    app = hybrid;
  } else {
    microservice = moduleRef.createNestMicroservice<ClientOptions>({ ...server, logger });
    await microservice.listen();
    app = microservice;
  }
  const port = transport === 'tcp' ? (microservice.unwrap<net.Server>().address() as AddressInfo).port : 0;
  const client = ClientProxyFactory.create(transportOptions(transport, prefix, port));
  await client.connect();
  const metadataOf = new WeakMap<object, Readonly<Record<string, string>>>();
  client.setOnDispatchHook((packet) => {
    const metadata = isObject(packet.data) ? metadataOf.get(packet.data) : undefined;
    if (metadata) packet.metadata = { ...metadata };
  });
  const natsHeaders = transport === 'nats' ? await loadNatsHeaders() : undefined;
  const payloadOf = (data: Record<string, unknown>, call: RpcCall): unknown => {
    const payload = message(transport, data, call, natsHeaders);
    if (call.metadata && isObject(payload)) metadataOf.set(payload, call.metadata);
    return payload;
  };
  const send = <T>(name: string, data: Record<string, unknown> = {}, call: RpcCall = {}): Promise<T> =>
    firstValueFrom(client.send<T>(`${prefix}.${name}`, payloadOf(data, call)).pipe(timeout(10_000)));
  return {
    transport,
    app,
    httpServer,
    logger,
    events,
    emit: async (name, data = {}, call = {}) => {
      await firstValueFrom(client.emit(`${prefix}.${name}`, payloadOf(data, call)).pipe(timeout(10_000)), { defaultValue: undefined });
    },
    send,
    sendError: async (name, data, call) => {
      const answer = await send(name, data, call).then(
        (value) => ({ answered: value }),
        (error: unknown) => ({ error }),
      );
      if ('answered' in answer) throw new Error(`expected an error, got the answer ${JSON.stringify(answer.answered)}`);
      return answer.error;
    },
    close: async () => {
      await client.close();
      await app.close();
    },
  };
}

/** Server and client options of a transport (the same for both sides). */
function transportOptions(transport: RpcTransport, prefix: string, port: number): ClientOptions {
  switch (transport) {
    case 'nats':
      return { transport: Transport.NATS, options: { servers: [NATS_URL], queue: `${prefix}.workers` } };
    case 'rmq':
      return {
        transport: Transport.RMQ,
        options: { urls: [RMQ_URL], queue: `${prefix}.queue`, queueOptions: { durable: false, autoDelete: true } },
      };
    case 'redis': {
      const url = new URL(REDIS_URL);
      return { transport: Transport.REDIS, options: { host: url.hostname, port: Number(url.port || 6379) } };
    }
    case 'tcp':
      return { transport: Transport.TCP, options: { host: '127.0.0.1', port } };
  }
}

/** The message as the client sends it: headers through the transport's record builder, or `auth` in the payload. */
function message(
  transport: RpcTransport,
  data: Record<string, unknown>,
  call: RpcCall,
  natsHeaders: NatsHeadersFactory | undefined,
): unknown {
  const payload = call.auth ? { ...data, auth: call.auth } : data;
  if (!call.headers) return payload;
  if (transport === 'nats') {
    const headers = natsHeaders!();
    for (const [name, value] of Object.entries(call.headers)) headers.set(name, value);
    return new NatsRecordBuilder(payload).setHeaders(headers).build();
  }
  if (transport === 'rmq') return new RmqRecordBuilder(payload).setOptions({ headers: { ...call.headers } }).build();
  throw new Error(`${transport} has no message headers: send the tokens in the payload's auth member`);
}

type NatsHeadersFactory = () => { set(name: string, value: string): void };

async function loadNatsHeaders(): Promise<NatsHeadersFactory> {
  const nats = (await import('@nats-io/transport-node' as string)) as { headers: NatsHeadersFactory };
  return nats.headers;
}

/** Why a transport cannot run here, or undefined when it can. */
async function unavailable(transport: RpcTransport): Promise<string | undefined> {
  if (transport === 'tcp') return undefined;
  if (transport === 'nats') {
    const loaded = await import('@nats-io/transport-node' as string).then(
      () => true,
      () => false,
    );
    if (!loaded) return '@nats-io/transport-node (the NATS client of @nestjs/microservices 12) is not installed';
  }
  const broker = BROKERS[transport];
  const url = new URL(broker.url);
  const port = Number(url.port || broker.port);
  return (await portOpen(url.hostname, port)) ? undefined : `${broker.name} at ${url.hostname}:${port} did not answer`;
}

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (up: boolean): void => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Why each transport cannot run here (undefined: it can), probed once per spec file. */
const unavailableReasons = new Map<RpcTransport, string | undefined>(
  await Promise.all((['nats', 'rmq', 'redis', 'tcp'] as const).map(async (k) => [k, await unavailable(k)] as const)),
);

/**
 * `describe.each` over the transports whose broker answers. A transport that cannot run is
 * skipped, or fails when REQUIRE_DB=1 (CI), so a missing broker never passes CI silently.
 */
export function describeTransports(transports: readonly RpcTransport[], name: string, body: (transport: RpcTransport) => void): void {
  const runnable = transports.filter((k) => unavailableReasons.get(k) === undefined);
  if (runnable.length > 0) describe.each(runnable)(`${name} [%s]`, body);
  for (const transport of transports) {
    const reason = unavailableReasons.get(transport);
    if (reason === undefined) continue;
    const title = `${name} [${transport}]`;
    if (process.env.REQUIRE_DB === '1') {
      describe(title, () => {
        it(`needs its broker: ${reason}`, () => {
          throw new Error(`REQUIRE_DB=1 but ${reason}`);
        });
      });
    } else {
      describe.skip(`${title} (${reason}: skipped)`, () => body(transport));
    }
  }
}

function isObject(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}

/** A loopback port nothing listens on (for a dead JWKS endpoint). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
