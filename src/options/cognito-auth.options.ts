import type { ExecutionContext } from '@nestjs/common';
import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import type { CognitoStateStore } from '../shared-state/state-store.interface.js';
import type { VerifiedTokens } from '../tokens/token.types.js';

/**
 * Which tokens a request must carry (`COGNITO_TOKEN_USE`): both (`id+access`), the access token
 * alone, the ID token alone, or `any` (a lone Bearer access or ID token is enough).
 */
export type TokenUseMode = 'id+access' | 'access' | 'id' | 'any';

/** The `SameSite` attribute of the token cookies. */
export type CookieSameSite = 'lax' | 'strict' | 'none';

/** Cookie settings: where cookie-borne tokens are read from and refreshed tokens written to. */
export interface CognitoCookieOptions {
  /** Read tokens from, and write refreshed tokens to, cookies (`COGNITO_COOKIES`). Default false. */
  enabled?: boolean;
  /** `HttpOnly` on the token cookies (`HTTP_ONLY_COOKIE`). Default true. */
  httpOnly?: boolean;
  /** `Secure` on all cookies (`SECURE_COOKIE`). Default true. */
  secure?: boolean;
  /** `SameSite` on all cookies (`COGNITO_COOKIE_SAMESITE`). Default `lax`. */
  sameSite?: CookieSameSite;
  /** One `Max-Age` for the three token cookies (`COGNITO_COOKIE_MAX_AGE`). Default 2592000 (30 days). */
  maxAgeSeconds?: number;
  /** Optional `Domain` attribute (`COGNITO_COOKIE_DOMAIN`). */
  domain?: string;
  /** Cookie names. Defaults `AccessToken`, `IdToken`, `RefreshToken`. */
  names?: { access?: string; id?: string; refresh?: string };
  /**
   * Prefix the token cookie names with `__Host-` (`COGNITO_COOKIE_HOST_PREFIX`), e.g.
   * `__Host-AccessToken`: browsers then accept the cookies only from this exact host, over
   * HTTPS, with `Path=/` and no `Domain`, so a sibling subdomain cannot set or shadow them.
   * Needs `secure` and stops start-up when `domain` is set. Default false.
   */
  hostPrefix?: boolean;
}

/** User sync settings: how a caller is matched to, and written into, the app's user table. */
export interface CognitoUserSyncOptions {
  /** The application's user entity. Default: the exported `CognitoUser`. */
  entity?: EntityTarget<ObjectLiteral>;
  /** The TypeORM DataSource: an instance, or the name of one; default the app's default DataSource. */
  dataSource?: DataSource | string;
  /** Insert a user on first sight (`AUTO_CREATE_USER`). Default true. */
  autoCreate?: boolean;
  /** Entity column matched against the token (`COGNITO_USER_MODEL_FIELD_REF_FIELD`). Default `sub`. */
  lookupField?: string;
  /** Claim whose value is looked up (`COGNITO_TOKEN_REF_FIELD`). Default `sub`. */
  tokenField?: string;
  /** `{ entityField: claimName }` (`COGNITO_USER_FIELD_MAPPING`). Default `{ sub: 'sub', email: 'email' }`. */
  fieldMapping?: Record<string, string>;
  /** Write changed mapped fields back on each login (`COGNITO_UPDATE_USER_ON_LOGIN`). Default true. */
  updateOnLogin?: boolean;
  /**
   * Seconds a resolved user is kept in memory (per process, bounded) so a repeat caller costs no
   * query (`COGNITO_USER_CACHE_TTL`). Changed claims still go to the database at once; a change
   * made in the database reaches requests within this time. 0 turns it off. Default 5.
   */
  cacheTtlSeconds?: number;
}

/** The tokens a `tokenExtractor` found: raw token strings, any of them absent. */
export interface ExtractedTokens {
  readonly access?: string;
  readonly id?: string;
  readonly refresh?: string;
}

/**
 * Reads tokens from a place the library does not know (a custom header, a query-less transport's
 * payload...). Returns `undefined` (or no token) to leave the request to the built-in places.
 */
export type CognitoTokenExtractor = (context: ExecutionContext) => ExtractedTokens | undefined;

/** What a `validate` hook learns about the call besides the tokens. */
export interface CognitoValidateInfo {
  /** The Nest context type: `http`, `graphql`, `ws`, `rpc`... */
  readonly contextType: string;
  /** The route handler about to run. */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- what Nest's ExecutionContext.getHandler() returns
  readonly handler: Function;
  /** The controller (resolver, gateway) class of the handler. */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- what Nest's ExecutionContext.getClass() returns
  readonly controller: Function;
}

/**
 * The app's own claim rules, run on every request after verification (not cached: keep it
 * cheap). False (or a promise of false) refuses the request with 403 `forbidden_claims`.
 */
export type CognitoValidateHook = (tokens: VerifiedTokens, info: CognitoValidateInfo) => boolean | Promise<boolean>;

/**
 * State shared by several instances of the app (refresh single-flight, revocation, user-cache
 * invalidation). Without `redis` or `store` every instance keeps its own, in memory.
 */
export interface CognitoSharedStateOptions {
  /** A Redis server to share state through (`COGNITO_REDIS_URL`; `COGNITO_REDIS_PREFIX`, default `nca:`). */
  redis?: { url: string; prefix?: string };
  /** Any `CognitoStateStore` implementation instead of Redis. */
  store?: CognitoStateStore;
  /**
   * Secret key (at least 32 characters) encrypting what is kept in a shared store and signing the
   * flows' cookies (`COGNITO_STATE_KEY`). Required when a shared store is configured.
   */
  stateKey?: string;
  /** Refuse tokens while the store cannot be asked whether they are revoked (`COGNITO_REVOCATION_FAIL_CLOSED`). Default false. */
  revocationFailClosed?: boolean;
  /**
   * At most one Cognito `GetUser` check per token per this many seconds on `@RequireFreshSession()`
   * routes (`COGNITO_ONLINE_CHECK_SECONDS`). Default 60.
   */
  onlineCheckSeconds?: number;
}

/** The hosted UI (authorization code + PKCE) of the sign-in flows. */
export interface CognitoHostedUiOptions {
  /** The user pool domain, e.g. `https://auth.example.com` or `myapp.auth.eu-west-1.amazoncognito.com` (`COGNITO_DOMAIN`). */
  domain?: string;
  /** The callback URL registered on the app client, e.g. `https://app.example.com/auth/callback` (`COGNITO_REDIRECT_URI`). */
  redirectUri?: string;
  /** Scopes asked for (`COGNITO_SCOPES`, space-separated). Default `openid`. */
  scopes?: readonly string[] | string;
  /** Where the callback redirects after a sign-in: a path on this site or an http(s) URL. Default `/`. */
  afterLogin?: string;
}

/** The sign-in flows (`CognitoAuthFlowService`) and their ready controller. */
export interface CognitoFlowsOptions {
  /**
   * Register the flows controller (`POST /<path>/login`, `/challenge`, `/signup`...). Off by
   * default. Read by `CognitoAuthModule.forRoot()` itself; with `forRootAsync()` import
   * `CognitoFlowsControllerModule.register({ path })` instead.
   */
  controller?: boolean;
  /** The controller's route prefix. Default `auth`. */
  path?: string;
  /** The hosted UI; on when a domain is set. */
  hostedUi?: CognitoHostedUiOptions;
}

/**
 * One user pool of several (`pools`, or the JSON list in `COGNITO_POOLS`). Each token is checked
 * against the pool its `iss` names, with that pool's clients and key set, and no other.
 */
export interface CognitoPoolOptions {
  /** The pool's name: what `@Pools(...)` lists and the principal's `pool`. Letters, digits, `_.-`. */
  name: string;
  /** `<region>_<id>`; with `endpoint` set any `<prefix>_<id>`. */
  userPoolId: string;
  /** The pool's app client id, or several (a string may be comma-separated). */
  clientId: string | readonly string[];
  /** The secret of the first client, or a map of client id to secret. */
  clientSecret?: string | Readonly<Record<string, string>>;
  /** As the module's `region`: the pool id's prefix, the only value accepted for an AWS pool id. */
  region?: string;
  /** Cognito endpoint of this pool (cognito-local, a VPC endpoint). */
  endpoint?: string;
  /** Expected `iss`. Default from the pool id (or `<endpoint>/<pool>`); `issuer-cognito-idp` accepted too. */
  issuer?: string;
  /** JWKS location. Default `<issuer>/.well-known/jwks.json`. */
  jwksUri?: string;
  /**
   * Regions of the pool's Multi-Region Replication replicas, for a pool that keeps the original
   * issuer: a replica's tokens then carry `https://cognito-idp.<replica region>.amazonaws.com/<pool>`
   * and are checked against that Region's key set. Not needed with the updated (multi-Region)
   * issuer, whose `issuer-cognito-idp.<primary region>` form every replica uses.
   */
  replicaRegions?: readonly string[] | string;
}

/**
 * Options of `CognitoAuthModule.forRoot()`. Whatever is left out is read from the environment
 * with django-cognito-redux's names; given options win.
 */
export interface CognitoAuthModuleOptions {
  /** `<region>_<id>` (`COGNITO_POOL_ID`). With `endpoint` set any `<prefix>_<id>`. */
  userPoolId?: string;
  /** The app client id, or several (`APP_CLIENT_ID`, comma-separated). */
  clientId?: string | readonly string[];
  /** The client secret (the first client's), or a map of client id to secret (`APP_CLIENT_SECRET`, alias `APP_SECRET_KEY`). */
  clientSecret?: string | Readonly<Record<string, string>>;
  /**
   * AWS region of the pool (`COGNITO_REGION`). Default, and the only value accepted for an AWS
   * pool id: the pool id's prefix. `AWS_REGION` is never read (Lambda and ECS set it to the
   * compute's region). Free only with `endpoint` and a pool id such as cognito-local's `local_…`.
   */
  region?: string;
  /** Cognito endpoint, for cognito-local or a VPC endpoint (`COGNITO_ENDPOINT`). */
  endpoint?: string;
  /** Expected `iss` (`COGNITO_ISSUER`). */
  issuer?: string;
  /** JWKS location (`COGNITO_JWKS_URI`). Default `<issuer>/.well-known/jwks.json`. */
  jwksUri?: string;
  /** Multi-Region Replication replica Regions of this pool, see `CognitoPoolOptions` (`COGNITO_REPLICA_REGIONS`, comma-separated). */
  replicaRegions?: readonly string[] | string;
  /**
   * Several user pools (`COGNITO_POOLS`, a JSON list of the same objects). A `userPoolId`
   * (`COGNITO_POOL_ID`) given as well is one more pool, named `default`, listed first.
   */
  pools?: readonly CognitoPoolOptions[];
  /** Which tokens a request needs (`COGNITO_TOKEN_USE`). Default `id+access`. */
  tokenUse?: TokenUseMode;
  /** Refresh expired tokens with the refresh token (`COGNITO_AUTO_REFRESH`). Default true. */
  autoRefresh?: boolean;
  /** Use `GetTokensFromRefreshToken` (refresh-token rotation) instead of `REFRESH_TOKEN_AUTH` (`COGNITO_REFRESH_TOKEN_ROTATION`). Default false. */
  refreshTokenRotation?: boolean;
  /** Cookie transport for the tokens. */
  cookies?: CognitoCookieOptions;
  /** Double-submit CSRF protection for cookie-borne tokens (`USE_CSRF`). Default false. */
  csrf?: boolean;
  /** User sync; `false` turns it off (`COGNITO_USER_SYNC`). On by default when a TypeORM DataSource is present. */
  users?: CognitoUserSyncOptions | false;
  /** Clock tolerance for `exp`, `iat` and `nbf` (`COGNITO_CLOCK_TOLERANCE`). Default 5. */
  clockToleranceSeconds?: number;
  /** Tokens longer than this are rejected before decoding (`COGNITO_MAX_TOKEN_LENGTH`). Default 8192. */
  maxTokenLength?: number;
  /** JWKS fetch timeout in ms (`COGNITO_JWKS_TIMEOUT_MS`). Default 3000. */
  jwksTimeoutMs?: number;
  /** Minimum time between JWKS fetches caused by unknown kids, in ms (`COGNITO_JWKS_COOLDOWN_MS`). Default 10000. */
  jwksRefetchCooldownMs?: number;
  /** Timeout of each Cognito call, SDK retries included, in ms (`COGNITO_TIMEOUT_MS`). Default 5000. */
  cognitoTimeoutMs?: number;
  /** `Retry-After` seconds on 503 (`COGNITO_RETRY_AFTER`). Default 5. */
  retryAfterSeconds?: number;
  /** Entries in the verified-token cache; 0 turns it off (`COGNITO_TOKEN_CACHE_SIZE`). Default 10000. */
  tokenCacheSize?: number;
  /**
   * Nest context types (`ExecutionContext.getType()`: `'http'`, `'graphql'`, `'ws'`, `'rpc'`, or a
   * custom transport's) let through unauthenticated, e.g. `['rpc']` for microservices reached only
   * from inside a private network. Every handler of a named type is treated as `@Public()`: tokens
   * that are present are still read and verified, so `@CurrentUser()` is the caller when they are
   * valid, while a missing or bad token, and the handler's `@Groups` / `@Scopes` / caller rules,
   * refuse nothing. Other context types keep needing a token; a type the library has no adapter
   * for is refused (401 `token_missing`) unless named here or `@Public()`. Default `[]`.
   */
  passThroughContexts?: readonly string[];
  /** An extra place to read tokens from, asked for a token the built-in places (headers, Bearer, cookies...) did not find: they win. */
  tokenExtractor?: CognitoTokenExtractor;
  /** The app's own claim rules (403 `forbidden_claims` when it answers false). */
  validate?: CognitoValidateHook;
  /** State shared by several instances of the app. */
  sharedState?: CognitoSharedStateOptions;
  /** Sign-in flows: the controller and the hosted UI. */
  flows?: CognitoFlowsOptions;
}

/** Extra `forRoot` / `forRootAsync` settings that shape the module itself. */
export interface CognitoAuthModuleExtras {
  /** Register `CognitoGuard` as `APP_GUARD` so every route is protected unless `@Public()`. Default true. */
  globalGuard?: boolean;
}

/** The issuer of a Multi-Region Replication replica that differs from its primary's, and its key set. */
export interface ResolvedReplicaIssuer {
  readonly region: string;
  readonly issuer: string;
  readonly jwksUri: string;
}

/** One resolved user pool. */
export interface ResolvedPoolSettings {
  /** `default` for the pool of `userPoolId` / `COGNITO_POOL_ID`. */
  readonly name: string;
  readonly userPoolId: string;
  readonly clientIds: readonly string[];
  /** Client id to secret. */
  readonly clientSecrets: ReadonlyMap<string, string>;
  readonly region: string;
  readonly endpoint: string | undefined;
  /** The issuers accepted with `jwksUri`'s keys, the configured one first. */
  readonly issuers: readonly string[];
  readonly jwksUri: string;
  /** Replica issuers, each checked against its own Region's key set. */
  readonly replicas: readonly ResolvedReplicaIssuer[];
}

/** Fully resolved settings, with every default applied and every value checked. */
export interface CognitoAuthSettings {
  /** The first pool's id (the `default` pool's when there is one). */
  readonly userPoolId: string;
  /** Every pool's app clients, the first pool's first. */
  readonly clientIds: readonly string[];
  /** Client id to secret, of every pool. */
  readonly clientSecrets: ReadonlyMap<string, string>;
  /** The first pool's region and endpoint. */
  readonly region: string;
  readonly endpoint: string | undefined;
  /** Every issuer accepted, of every pool, the first pool's configured one first. */
  readonly issuers: readonly string[];
  /** The first pool's key set. */
  readonly jwksUri: string;
  /**
   * Every pool, the `default` one first. Always set by the resolver; settings built by hand
   * without it describe one pool, `default`, with the fields above.
   */
  readonly pools?: readonly ResolvedPoolSettings[];
  readonly tokenUse: TokenUseMode;
  readonly autoRefresh: boolean;
  readonly refreshTokenRotation: boolean;
  readonly cookies: {
    readonly enabled: boolean;
    readonly httpOnly: boolean;
    readonly secure: boolean;
    readonly sameSite: CookieSameSite;
    readonly maxAgeSeconds: number;
    readonly domain: string | undefined;
    readonly hostPrefix: boolean;
    /** The cookie names, `__Host-` prefixed when `hostPrefix` is on. */
    readonly names: { readonly access: string; readonly id: string; readonly refresh: string };
  };
  readonly csrf: boolean;
  /** `false` when sync is turned off; otherwise on when a DataSource is found (`explicit` says whether it was asked for). */
  readonly users: ResolvedUserSyncSettings | false;
  readonly clockToleranceSeconds: number;
  readonly maxTokenLength: number;
  readonly jwksTimeoutMs: number;
  readonly jwksRefetchCooldownMs: number;
  readonly cognitoTimeoutMs: number;
  readonly retryAfterSeconds: number;
  readonly tokenCacheSize: number;
  readonly passThroughContexts: readonly string[];
  readonly tokenExtractor: CognitoTokenExtractor | undefined;
  readonly validate: CognitoValidateHook | undefined;
  readonly sharedState: ResolvedSharedStateSettings;
  /**
   * The sign-in flows. Always set by the resolver; settings built by hand without it have no flows
   * controller and no hosted UI.
   */
  readonly flows?: ResolvedFlowsSettings;
}

/** Resolved settings of the sign-in flows. */
export interface ResolvedFlowsSettings {
  /** Whether the options ask for the flows controller. */
  readonly controller: boolean;
  /** The controller's route prefix, without leading or trailing slashes. */
  readonly path: string;
  /** The hosted UI, when a domain is configured. */
  readonly hostedUi: ResolvedHostedUiSettings | undefined;
}

/** Resolved hosted UI settings. */
export interface ResolvedHostedUiSettings {
  /** `https://<domain>` without a trailing slash. */
  readonly domain: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly afterLogin: string;
}

/** Resolved shared-state settings. */
export interface ResolvedSharedStateSettings {
  readonly redis: { readonly url: string; readonly prefix: string } | undefined;
  readonly store: CognitoStateStore | undefined;
  readonly stateKey: string | undefined;
  readonly revocationFailClosed: boolean;
  readonly onlineCheckSeconds: number;
}

/** Resolved user sync settings. */
export interface ResolvedUserSyncSettings {
  /** Whether sync was asked for explicitly (true) or is on only if a DataSource is found (false). */
  readonly explicit: boolean;
  readonly entity: EntityTarget<ObjectLiteral> | undefined;
  readonly dataSource: DataSource | string | undefined;
  readonly autoCreate: boolean;
  readonly lookupField: string;
  readonly tokenField: string;
  readonly fieldMapping: Readonly<Record<string, string>>;
  readonly updateOnLogin: boolean;
  readonly cacheTtlSeconds: number;
  /** Where `lookupField` and `fieldMapping` came from (option or environment variable), for start-up errors. */
  readonly sources: { readonly lookupField: string; readonly fieldMapping: string };
}
