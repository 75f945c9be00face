import { createServer } from 'node:net';
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Field, GraphQLModule, Int, Mutation, ObjectType, Query, Resolver, Subscription } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { type Client, createClient, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import {
  CognitoAuthModule,
  CognitoClaims,
  CurrentUser,
  Groups,
  Public,
  type CognitoAuthForRootOptions,
  type CognitoPrincipal,
  type VerifiedTokens,
} from '../../src/index.js';
import { GraphqlContextAdapter } from '../../src/contexts/graphql.context.js';
import { createGraphqlWsOnConnect } from '../../src/contexts/graphql-ws-connect.js';
import { CaptureLogger } from './capture-logger.js';

@ObjectType()
export class Viewer {
  @Field(() => String) sub!: string;
  @Field(() => String, { nullable: true }) email?: string;
  @Field(() => [String]) groups!: string[];
}

@ObjectType()
export class ClaimSubs {
  @Field(() => String, { nullable: true }) access?: string;
  @Field(() => String, { nullable: true }) id?: string;
}

@ObjectType()
export class Tick {
  @Field(() => Int) n!: number;
  @Field(() => String) sub!: string;
}

async function* ticksFor(sub: string): AsyncGenerator<Tick> {
  for (const n of [1, 2, 3]) yield { n, sub };
}

/** One field per decorator of the public API, code-first. */
@Resolver()
export class ProbeResolver {
  @Query(() => Viewer, { nullable: true })
  me(@CurrentUser() user: Pick<CognitoPrincipal, 'sub' | 'email'> & { groups?: readonly string[] }): Viewer {
    // With user sync on, the user is the synced entity, which has no groups.
    return { sub: user.sub, email: user.email ?? undefined, groups: [...(user.groups ?? [])] };
  }

  @Query(() => ClaimSubs, { nullable: true })
  claims(@CognitoClaims() claims: VerifiedTokens): ClaimSubs {
    return { access: claims.access?.sub, id: claims.id?.sub };
  }

  @Public()
  @Query(() => String)
  open(@CurrentUser() user: CognitoPrincipal | undefined): string {
    return user?.sub ?? 'anonymous';
  }

  @Groups('admin')
  @Query(() => String, { nullable: true })
  admin(): string {
    return 'ok';
  }

  @Mutation(() => String, { nullable: true })
  touch(@CurrentUser('sub') sub: string): string {
    return sub;
  }

  @Subscription(() => Tick, { nullable: true, resolve: (tick: Tick) => tick })
  ticks(@CurrentUser() user: CognitoPrincipal): AsyncGenerator<Tick> {
    return ticksFor(user.sub);
  }

  @Groups('admin')
  @Subscription(() => Tick, { nullable: true, resolve: (tick: Tick) => tick })
  adminTicks(@CurrentUser() user: CognitoPrincipal): AsyncGenerator<Tick> {
    return ticksFor(user.sub);
  }
}

/** A GraphQL error as the client sees it. */
export interface GqlError {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

/** A GraphQL response over HTTP. */
export interface GqlResponse {
  status: number;
  headers: Headers;
  text: string;
  body: { data?: Record<string, unknown> | null; errors?: GqlError[] };
}

/** The drivers the suites run on. */
export type GraphqlDriverName = 'apollo' | 'mercurius';

/** What `createGraphqlApp` returns. */
export interface GraphqlTestApp {
  readonly app: INestApplication;
  readonly logger: CaptureLogger;
  /** `http://127.0.0.1:<port>/graphql` */
  readonly url: string;
  /** `ws://127.0.0.1:<port>/graphql` */
  readonly wsUrl: string;
  /** POSTs a GraphQL operation over real HTTP. */
  query(query: string, headers?: Record<string, string>): Promise<GqlResponse>;
  close(): Promise<void>;
}

/** Options of `createGraphqlApp`. */
export interface GraphqlAppOptions {
  /** Apollo only: refuse graphql-ws connections at connect with `createGraphqlWsOnConnect`. */
  readonly onConnect?: boolean;
  /** Modules to import beside CognitoAuthModule (e.g. TypeORM for user sync). */
  readonly imports?: ModuleMetadata['imports'];
  /** Apollo only: the app's own `context` function. */
  readonly apolloContext?: ApolloDriverConfig['context'];
}

function graphqlModule(driver: GraphqlDriverName, options: GraphqlAppOptions) {
  if (driver === 'mercurius') {
    return GraphQLModule.forRoot<MercuriusDriverConfig>({ driver: MercuriusDriver, autoSchemaFile: true, subscription: true });
  }
  return GraphQLModule.forRootAsync<ApolloDriverConfig>({
    driver: ApolloDriver,
    inject: [GraphqlContextAdapter],
    useFactory: (cognito: GraphqlContextAdapter) => ({
      autoSchemaFile: true,
      ...(options.apolloContext ? { context: options.apolloContext } : {}),
      subscriptions: { 'graphql-ws': options.onConnect ? { onConnect: createGraphqlWsOnConnect(cognito) } : {} },
    }),
  });
}

/**
 * Boots a Nest app with CognitoAuthModule (global guard), a GraphQL module on the given driver
 * (Apollo on Express, Mercurius on Fastify) and `ProbeResolver`, listening on a loopback port.
 */
export async function createGraphqlApp(
  driver: GraphqlDriverName,
  auth: CognitoAuthForRootOptions,
  options: GraphqlAppOptions = {},
): Promise<GraphqlTestApp> {
  const logger = new CaptureLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [...(options.imports ?? []), CognitoAuthModule.forRoot(auth), graphqlModule(driver, options)],
    providers: [ProbeResolver],
  })
    .setLogger(logger)
    .compile();
  const app =
    driver === 'mercurius'
      ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger })
      : moduleRef.createNestApplication({ logger });
  await app.listen(0, '127.0.0.1');
  const base = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
  const url = `${base}/graphql`;
  return {
    app,
    logger,
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    query: (query, headers = {}) => postGraphql(url, query, headers),
    close: () => app.close(),
  };
}

async function postGraphql(url: string, query: string, headers: Record<string, string>): Promise<GqlResponse> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) as GqlResponse['body'] };
}

/** What one subscription over graphql-ws came to. */
export interface SubscriptionOutcome {
  /** `next` payloads, in order. */
  readonly events: FormattedExecutionResult<Record<string, unknown>, unknown>[];
  /** The server completed the subscription. */
  readonly completed: boolean;
  /** The socket closed under the subscription (graphql-ws reports it as the error). */
  readonly closed?: { code: number; reason: string };
  /** An `error` message of the protocol. */
  readonly errors?: readonly GqlError[];
}

/** Options of `openWsClient`. */
export interface WsClientOptions {
  readonly connectionParams?: Record<string, unknown>;
  /** Headers of the upgrade request. */
  readonly headers?: Record<string, string>;
  /** Connect now and keep the socket open between subscriptions (default: connect on the first subscription, close after the last). */
  readonly eager?: boolean;
}

/** A real graphql-ws client (over `ws`, no retries), and whether the server acknowledged the connection. */
export interface WsClient {
  readonly client: Client;
  /** True once `connection_ack` arrived. */
  readonly acknowledged: () => boolean;
  dispose(): Promise<void>;
}

/** Opens a graphql-ws client on the app's `/graphql` socket. */
export function openWsClient(wsUrl: string, options: WsClientOptions = {}): WsClient {
  const headers = options.headers ?? {};
  class UpgradeWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  let acknowledged = false;
  const client = createClient({
    url: wsUrl,
    webSocketImpl: UpgradeWebSocket,
    connectionParams: options.connectionParams,
    retryAttempts: 0,
    lazy: !options.eager,
    onNonLazyError: () => undefined,
    on: { connected: () => (acknowledged = true) },
  });
  return { client, acknowledged: () => acknowledged, dispose: async () => client.dispose() };
}

/** Runs one subscription and resolves when it completes, errors, or its socket closes. */
export function runSubscription(client: Client, query: string): Promise<SubscriptionOutcome> {
  const events: FormattedExecutionResult<Record<string, unknown>, unknown>[] = [];
  return new Promise<SubscriptionOutcome>((resolve) => {
    client.subscribe(
      { query },
      {
        next: (value) => events.push(value),
        complete: () => resolve({ events, completed: true }),
        error: (err: unknown) => {
          const close = err as { code?: unknown; reason?: unknown };
          if (typeof close.code === 'number')
            resolve({ events, completed: false, closed: { code: close.code, reason: String(close.reason) } });
          else resolve({ events, completed: false, errors: Array.isArray(err) ? (err as GqlError[]) : [{ message: String(err) }] });
        },
      },
    );
  });
}

/** One subscription on a fresh client, disposed afterwards; `acknowledged` says whether the connection was accepted. */
export async function subscribeOnce(
  wsUrl: string,
  query: string,
  options: WsClientOptions = {},
): Promise<SubscriptionOutcome & { acknowledged: boolean }> {
  const ws = openWsClient(wsUrl, options);
  try {
    const outcome = await runSubscription(ws.client, query);
    return { ...outcome, acknowledged: ws.acknowledged() };
  } finally {
    await ws.dispose();
  }
}

/** A URL on a loopback port nothing listens on (a dead JWKS endpoint). */
export async function deadUrl(path = '/jwks.json'): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}${path}`;
}
