import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { handleCognitoRequest, type CognitoApiBackend, type RefreshControls } from './cognito-api.handler.js';
import { answerJwks, type JwksControls } from './jwks.handler.js';
import { createSigningKey, signJws, type TestSigningKey } from './signing-key.helpers.js';
import { TestFlows } from './flows/test-flows.js';
import { TestAdmin } from './admin/test-admin.js';
import { GetUserOperation } from './get-user.handler.js';
import { mintTokens } from './token-minting.js';
import type {
  TestIdentityProviderOptions,
  IssueTokensOptions,
  IssuedTokens,
  RefreshTokenOwner,
  TestIdentityProviderStats,
  TestIdentityProviderModuleOptions,
} from './test-identity-provider.types.js';

export type {
  TestClient,
  TestIdentityProviderOptions,
  IssueTokensOptions,
  IssuedTokens,
  RefreshTokenOwner,
  TestIdentityProviderStats,
  TestIdentityProviderModuleOptions,
} from './test-identity-provider.types.js';
/**
 * A real local Cognito stand-in for tests: RS256 keys, a JWKS endpoint on a loopback port,
 * Cognito-shaped ID / access / refresh tokens, and the refresh operations of Cognito's JSON
 * protocol (`InitiateAuth` REFRESH_TOKEN_AUTH, `GetTokensFromRefreshToken`, `RevokeToken`) for
 * the real AWS SDK v3 client, with fault modes for both endpoints. Call {@link close} when done.
 */
export class TestIdentityProvider {
  /** `http://<host>:<port>/<userPoolId>`. */
  readonly issuer: string;
  /** `<issuer>/.well-known/jwks.json`. */
  readonly jwksUri: string;
  /** `http://<host>:<port>`: the `endpoint` of a `CognitoIdentityProviderClient`. */
  readonly endpoint: string;
  readonly userPoolId: string;
  readonly region: string;
  readonly clientIds: readonly string[];
  /** JWKS endpoint fault controls (mutable). */
  readonly jwks: JwksControls = { mode: 'ok', failStatus: 500, delayMs: 0 };
  /** Refresh operation fault controls (mutable). */
  readonly refresh: RefreshControls = { mode: 'ok', delayMs: 0 };
  /**
   * The user flows: users with passwords (`flows.addUser`), password and SRP sign-in, challenges,
   * sign-up and password codes (`flows.lastCode`), and the hosted UI (`flows.oauth`).
   */
  readonly flows: TestFlows;
  /** The admin operations (`AdminGetUser`, `ListUsers`, `AdminCreateUser`, groups, global sign-out...) on the users of {@link flows}. */
  readonly admin: TestAdmin;
  /** `GetUser`: checks the access token (signature, expiry, scope, revocation) as Cognito does. */
  readonly getUser: GetUserOperation;
  /** Request counters. */
  readonly stats: TestIdentityProviderStats = {
    jwksRequests: 0,
    initiateAuth: 0,
    getTokensFromRefreshToken: 0,
    revokeToken: 0,
    requests: 0,
  };

  private current: TestSigningKey;
  private readonly published = new Map<string, TestSigningKey>();
  private readonly clients: ReadonlyMap<string, string | undefined>;
  private readonly refreshTokens = new Map<string, RefreshTokenOwner>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly accessTtl: number;
  private readonly idTtl: number;
  private readonly backend: CognitoApiBackend;
  private readonly jwksPath: string;
  private readonly redirectedJwksPath: string;
  private closed?: Promise<void>;

  private constructor(
    options: TestIdentityProviderOptions,
    key: TestSigningKey,
    private readonly server: Server,
    private readonly sockets: ReadonlySet<Socket>,
    origin: string,
  ) {
    this.userPoolId = options.userPoolId ?? 'local_TestPool1';
    this.region = options.region ?? 'us-east-1';
    const clients = options.clients ?? [{ clientId: 'test-client' }];
    this.clients = new Map(clients.map((c) => [c.clientId, c.clientSecret]));
    this.clientIds = Object.freeze(clients.map((c) => c.clientId));
    this.accessTtl = options.accessTokenTtlSeconds ?? 3600;
    this.idTtl = options.idTokenTtlSeconds ?? 3600;
    this.endpoint = origin;
    this.issuer = `${origin}/${this.userPoolId}`;
    this.jwksUri = `${this.issuer}/.well-known/jwks.json`;
    this.jwksPath = `/${this.userPoolId}/.well-known/jwks.json`;
    this.redirectedJwksPath = `/${this.userPoolId}/.well-known/jwks-moved.json`;
    this.current = key;
    this.published.set(key.kid, key);
    this.flows = new TestFlows({
      userPoolId: this.userPoolId,
      issuer: this.issuer,
      clients: this.clients,
      issueTokens: (options) => this.issueTokens(options),
      signToken: (payload) => this.signToken(payload),
      publicKey: (kid) => this.published.get(kid)?.publicJwk,
      revokeRefreshTokensOf: (sub) => this.signOutEverywhere(sub),
      delay: (ms) => this.delay(ms),
    });
    this.admin = new TestAdmin(this.flows, {
      revokeRefreshTokensOf: (sub) => this.signOutEverywhere(sub),
      delay: (ms) => this.delay(ms),
    });
    this.getUser = new GetUserOperation({ issuer: this.issuer, key: (kid) => this.published.get(kid)?.publicJwk });
    this.backend = this.createBackend();
  }

  /** A global sign-out: the user's refresh tokens are revoked and `GetUser` refuses the access tokens issued before now. */
  private signOutEverywhere(sub: string): void {
    for (const [token, owner] of this.refreshTokens) if (owner.sub === sub) this.refreshTokens.delete(token);
    this.getUser.signOut(sub);
  }

  /** Creates a signing key, starts the HTTP server and resolves once it listens. */
  static async start(options: TestIdentityProviderOptions = {}): Promise<TestIdentityProvider> {
    const poolId = options.userPoolId ?? 'local_TestPool1';
    if (!/^[\w-]+_[0-9A-Za-z]+$/.test(poolId)) throw new Error(`userPoolId must be <prefix>_<id>, got "${poolId}"`);
    const clients = options.clients ?? [{ clientId: 'test-client' }];
    if (clients.length === 0 || new Set(clients.map((c) => c.clientId)).size !== clients.length) {
      throw new Error('clients must be a non-empty list of distinct client ids');
    }
    const key = await createSigningKey();
    const server = createServer();
    const sockets = new Set<Socket>();
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    const idp = new TestIdentityProvider(options, key, server, sockets, origin);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => idp.handle(req, res));
    return idp;
  }

  /** The key new tokens are signed with. */
  get currentKey(): TestSigningKey {
    return this.current;
  }

  /** The fields of `CognitoAuthModuleOptions` pointing at this provider. */
  moduleOptions(): TestIdentityProviderModuleOptions {
    const secrets = Object.fromEntries([...this.clients].filter((entry): entry is [string, string] => entry[1] !== undefined));
    return {
      userPoolId: this.userPoolId,
      clientId: [...this.clientIds],
      ...(Object.keys(secrets).length > 0 ? { clientSecret: secrets } : {}),
      region: this.region,
      endpoint: this.endpoint,
      issuer: this.issuer,
      jwksUri: this.jwksUri,
    };
  }

  /**
   * The same settings as environment variables. `APP_CLIENT_SECRET` is set when the first client
   * has a secret (a single secret means the first client's); other clients' secrets cannot be
   * expressed there: use {@link moduleOptions}.
   */
  env(): Record<string, string> {
    const firstSecret = this.clients.get(this.clientIds[0] ?? '');
    return {
      COGNITO_POOL_ID: this.userPoolId,
      APP_CLIENT_ID: this.clientIds.join(','),
      ...(firstSecret !== undefined ? { APP_CLIENT_SECRET: firstSecret } : {}),
      COGNITO_REGION: this.region,
      COGNITO_ENDPOINT: this.endpoint,
      COGNITO_ISSUER: this.issuer,
      COGNITO_JWKS_URI: this.jwksUri,
    };
  }

  /** Issues an access token, an ID token and a refresh token (recorded for later refreshes). */
  async issueTokens(options: IssueTokensOptions = {}): Promise<IssuedTokens> {
    const owner = this.ownerFrom(options);
    const { accessToken, idToken } = await this.mint(owner, options);
    const refreshToken = this.recordRefreshToken(owner);
    return { accessToken, idToken, refreshToken, sub: owner.sub, username: owner.username, clientId: owner.clientId };
  }

  /**
   * Signs any payload as an RS256 JWS with the current key (or `opts.key`); `opts.header` is merged
   * over `{ alg: 'RS256', kid }` (`undefined` removes a member). For hostile tests.
   */
  signToken(payload: Record<string, unknown>, opts: { header?: Record<string, unknown>; key?: TestSigningKey } = {}): Promise<string> {
    return signJws(payload, opts.key ?? this.current, opts.header);
  }

  /** Creates a new RSA 2048 key; it is neither published nor current. */
  createKey(kid?: string): Promise<TestSigningKey> {
    return createSigningKey(kid);
  }

  /** Adds a key to the JWKS. */
  publishKey(key: TestSigningKey): void {
    this.published.set(key.kid, key);
  }

  /** Removes a key from the JWKS; true when it was there. */
  unpublishKey(kid: string): boolean {
    return this.published.delete(kid);
  }

  /** Creates a key, publishes it and makes it current; the old key stays published unless `dropOld`. */
  async rotateKey(opts: { dropOld?: boolean; kid?: string } = {}): Promise<TestSigningKey> {
    const key = await createSigningKey(opts.kid);
    if (opts.dropOld) this.published.delete(this.current.kid);
    this.published.set(key.kid, key);
    this.current = key;
    return key;
  }

  /** Revokes a refresh token; true when it was valid. */
  revoke(refreshToken: string): boolean {
    return this.refreshTokens.delete(refreshToken);
  }

  /** Sets every counter of {@link stats} to 0. */
  resetStats(): void {
    for (const name of Object.keys(this.stats) as (keyof TestIdentityProviderStats)[]) this.stats[name] = 0;
  }

  /** Stops the server, ending hanging and keep-alive connections. Safe to call twice. */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
    return this.closed;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.stats.requests++;
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'GET' && (path === this.jwksPath || path === this.redirectedJwksPath)) {
      void this.serveJwks(res, path === this.redirectedJwksPath);
    } else if (req.method === 'POST' && path === '/' && GetUserOperation.matches(req)) {
      this.getUser.handle(req, res).catch(() => res.destroy());
    } else if (req.method === 'POST' && path === '/') {
      handleCognitoRequest(req, res, this.backend).catch(() => res.destroy());
    } else if (this.flows.handlesHttp(req.method, path)) {
      this.flows.handleHttp(req, res, new URL(req.url ?? '/', 'http://localhost')).catch(() => res.destroy());
    } else {
      const body = JSON.stringify({ message: 'Not Found' });
      res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }
  }

  private async serveJwks(res: ServerResponse, redirected: boolean): Promise<void> {
    this.stats.jwksRequests++;
    if (this.jwks.delayMs > 0) await this.delay(this.jwks.delayMs);
    const keys = [...this.published.values()].map((key) => key.publicJwk);
    const controls: JwksControls = redirected ? { ...this.jwks, mode: 'ok' } : this.jwks;
    answerJwks(res, controls, keys, `${this.endpoint}${this.redirectedJwksPath}`);
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private createBackend(): CognitoApiBackend {
    return {
      clients: this.clients,
      refreshControls: this.refresh,
      count: (operation) => void this.stats[operation]++,
      delay: (ms) => this.delay(ms),
      findRefreshToken: (token) => this.refreshTokens.get(token),
      revoke: (token) => void this.refreshTokens.delete(token),
      operation: (name, params) => this.flows.operation(name, params) ?? this.admin.operation(name, params),
      refresh: async (owner, oldToken, rotate) => {
        const options: IssueTokensOptions = { ...owner, ...this.refresh.issueAs?.(owner) };
        const next = this.ownerFrom(options);
        const { accessToken, idToken } = await this.mint(next, options);
        const expiresIn = options.expiresInSeconds ?? this.accessTtl;
        if (!rotate) return { accessToken, idToken, expiresIn };
        this.refreshTokens.delete(oldToken);
        return { accessToken, idToken, refreshToken: this.recordRefreshToken(next), expiresIn };
      },
    };
  }

  private ownerFrom(options: IssueTokensOptions): RefreshTokenOwner {
    const sub = options.sub ?? randomUUID();
    const username = options.username ?? sub;
    return {
      sub,
      username,
      clientId: options.clientId ?? this.clientIds[0] ?? 'test-client',
      email: options.email === null ? null : (options.email ?? `${username}@example.test`),
      groups: options.groups,
      scopes: options.scopes,
      idClaims: options.idClaims,
      accessClaims: options.accessClaims,
    };
  }

  private recordRefreshToken(owner: RefreshTokenOwner): string {
    const token = randomBytes(48).toString('base64url');
    this.refreshTokens.set(token, owner);
    return token;
  }

  /** Signs the access token, then the ID token with the access token's `at_hash`. */
  private mint(owner: RefreshTokenOwner, options: IssueTokensOptions): Promise<{ accessToken: string; idToken: string }> {
    return mintTokens(owner, options, {
      issuer: this.issuer,
      accessTtl: this.accessTtl,
      idTtl: this.idTtl,
      key: options.key ?? this.current,
    });
  }
}
