/**
 * Several app instances for the shared-state specs: separate Nest apps in this Jest process, each
 * compiled from its own module (no provider instance shared: `expectNothingShared` shows it),
 * each listening on its own loopback port, all pointed at one TestIdentityProvider (through a
 * front that answers `GetUser` and can hold refresh calls) and, when asked, one Redis.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Controller, Get, HttpCode, Post, Req, Res, type Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSourceOptions } from 'typeorm';
import { RequireFreshSession } from '../../src/guard/fresh-session.decorator.js';
import {
  AllowMachines,
  type CognitoAuthForRootOptions,
  CognitoSessionService,
  CurrentUser,
  Public,
  RedisStateStore,
  TokenUse,
} from '../../src/index.js';
import { GetUserOperation } from '../../src/testing/get-user.handler.js';
import type { TestIdentityProvider } from '../../src/testing/index.js';
import { CognitoUser } from '../../src/users/cognito-user.entity.js';
import { createTestApp, ProbeController, type TestApp } from './test-app.js';

/** Routes of the shared-state specs, besides the probe routes (`/t/me`...). */
@Controller()
export class SharedStateController {
  constructor(private readonly session: CognitoSessionService) {}

  @Public()
  @Post('auth/logout')
  @HttpCode(204)
  async logout(@Req() req: { headers: Record<string, string>; method: string }, @Res({ passthrough: true }) res: unknown): Promise<void> {
    await this.session.logout(req, res);
  }

  @RequireFreshSession()
  @Get('s/fresh')
  fresh(): { ok: true } {
    return { ok: true };
  }

  @RequireFreshSession()
  @AllowMachines()
  @TokenUse('access')
  @Get('s/fresh-any')
  freshAny(): { ok: true } {
    return { ok: true };
  }

  @TokenUse('access')
  @Get('s/email')
  email(@CurrentUser() user: { email?: string | null }): { email: string | null } {
    return { email: user?.email ?? null };
  }
}

/**
 * A front of the TestIdentityProvider on its own port (the instances' Cognito `endpoint`):
 * `GetUser` is answered here, checking the token; every other call goes through to the provider,
 * and refresh calls can be held back until the spec releases them.
 */
export class IdpFront {
  readonly getUser: GetUserOperation;
  /** Refresh calls waiting at the front now. */
  held = 0;
  private gate: Promise<void> | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly idp: TestIdentityProvider,
    private readonly server: Server,
    readonly endpoint: string,
  ) {
    this.getUser = new GetUserOperation({
      issuer: idp.issuer,
      key: (kid) => (kid === idp.currentKey.kid ? idp.currentKey.publicJwk : undefined),
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res));
  }

  static async start(idp: TestIdentityProvider): Promise<IdpFront> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new IdpFront(idp, server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  /** Holds every refresh call at the front until the returned function is called. */
  hold(): () => void {
    let release!: () => void;
    this.gate = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.gate = undefined;
      release();
    };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (GetUserOperation.matches(req)) return this.getUser.handle(req, res);
    const target = String(req.headers['x-amz-target'] ?? '');
    if (this.gate && /InitiateAuth|GetTokensFromRefreshToken/.test(target)) {
      this.held++;
      await this.gate;
      this.held--;
    }
    const upstream = new URL(this.idp.endpoint);
    const forward = httpRequest(
      // No keep-alive: a socket of the front must not outlive the call (shutdown specs count them).
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  }
}

/**
 * Command timeout of the Redis stores this helper makes (the library's default is 500 ms): far
 * above what a command takes on a loaded machine, so that no exact count of a spec (Cognito calls,
 * outage warnings) moves because one command outlived a GC pause or a CPU stall. A Redis that is
 * down still fails at once: the store has no offline queue and retries nothing.
 */
export const INSTANCE_REDIS_COMMAND_TIMEOUT_MS = 5000;

/** One app instance. */
export interface Instance {
  readonly name: string;
  readonly app: TestApp;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  get<T>(type: Type<T> | symbol): T;
}

/** How to start an instance. */
export interface InstanceOptions {
  readonly idp: TestIdentityProvider;
  readonly front: IdpFront;
  /**
   * Shared state through this Redis and prefix; none: the per-process store. The instance gets a
   * `RedisStateStore` made here with a command timeout of `INSTANCE_REDIS_COMMAND_TIMEOUT_MS`
   * (`sharedState.store`; Nest closes it on `app.close()` like the library's own), unless
   * `libraryStore` asks for the library to make it from `sharedState.redis` (its defaults).
   */
  readonly redis?: { readonly url: string; readonly prefix: string; readonly stateKey: string; readonly libraryStore?: boolean };
  /** User sync on this database (the `cognito_users` table; `synchronize` creates it). */
  readonly database?: { readonly options: DataSourceOptions; readonly synchronize: boolean };
  /** More module options. */
  readonly auth?: CognitoAuthForRootOptions;
}

/** Starts one instance, listening on a free loopback port. */
export async function startInstance(name: string, o: InstanceOptions): Promise<Instance> {
  const store =
    o.redis && !o.redis.libraryStore && !o.auth?.sharedState?.store
      ? new RedisStateStore({ url: o.redis.url, prefix: o.redis.prefix, commandTimeoutMs: INSTANCE_REDIS_COMMAND_TIMEOUT_MS })
      : undefined;
  const auth: CognitoAuthForRootOptions = {
    ...o.idp.moduleOptions(),
    endpoint: o.front.endpoint,
    users: o.database ? { entity: CognitoUser, cacheTtlSeconds: 300 } : false,
    ...o.auth,
    sharedState: {
      ...(o.redis ? { ...(store ? { store } : { redis: { url: o.redis.url, prefix: o.redis.prefix } }), stateKey: o.redis.stateKey } : {}),
      ...o.auth?.sharedState,
    },
  };
  const imports = o.database
    ? [TypeOrmModule.forRoot({ ...o.database.options, entities: [CognitoUser], synchronize: o.database.synchronize } as DataSourceOptions)]
    : [];
  let app: TestApp | undefined;
  try {
    app = await createTestApp(auth, {
      imports,
      controllers: [ProbeController, SharedStateController],
    });
    await app.app.listen(0, '127.0.0.1');
  } catch (err) {
    // No app to close it: the store made here is closed here. (Once the app is up, Nest closes
    // it on `app.close()`, as it does the library's own store: the clean-shutdown spec counts on that.)
    await app?.close().catch(() => undefined);
    await store?.close();
    throw err;
  }
  const started = app;
  const { port } = started.app.getHttpServer().address() as AddressInfo;
  return { name, app: started, url: `http://127.0.0.1:${port}`, get: <T>(type: Type<T> | symbol) => started.app.get<T>(type as Type<T>) };
}

/** Starts `names.length` instances, one after the other (the first creates the user table). */
export async function startInstances(names: readonly string[], o: InstanceOptions): Promise<Instance[]> {
  const started: Instance[] = [];
  for (const [i, name] of names.entries()) {
    started.push(
      await startInstance(name, { ...o, database: o.database && { ...o.database, synchronize: o.database.synchronize && i === 0 } }),
    );
  }
  return started;
}

/** Fails unless every listed provider is a different object in each instance (nothing shared in memory). */
export function expectNothingShared(instances: readonly Instance[], types: ReadonlyArray<Type<unknown> | symbol>): void {
  for (const type of types) {
    const objects = instances.map((i) => i.get<unknown>(type));
    if (new Set(objects).size !== objects.length)
      throw new Error(`Instances share a ${String((type as { name?: string }).name ?? type.toString())}`);
  }
}
