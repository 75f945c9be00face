import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';

/** Which tokens a request must carry (`COGNITO_TOKEN_USE`). */
export type TokenUseMode = 'id+access' | 'access' | 'id';

/** The `SameSite` attribute of the token cookies. */
export type CookieSameSite = 'lax' | 'strict' | 'none';

/** Cookie settings (DESIGN.md section 9). */
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
}

/** User sync settings (DESIGN.md section 8). */
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

/**
 * Options of `CognitoAuthModule.forRoot()`. Whatever is left out is read from the environment
 * with the seed's names (DESIGN.md section 4); given options win.
 */
export interface CognitoAuthModuleOptions {
  /** `<region>_<id>` (`COGNITO_POOL_ID`). With `endpoint` set any `<prefix>_<id>`. */
  userPoolId?: string;
  /** The app client id, or several (`APP_CLIENT_ID`, comma-separated). */
  clientId?: string | readonly string[];
  /** The client secret (the first client's), or a map of client id to secret (`APP_CLIENT_SECRET`, alias `APP_SECRET_KEY`). */
  clientSecret?: string | Readonly<Record<string, string>>;
  /** AWS region (`COGNITO_REGION`, `AWS_REGION`). Default: the pool id's prefix. */
  region?: string;
  /** Cognito endpoint, for cognito-local or a VPC endpoint (`COGNITO_ENDPOINT`). */
  endpoint?: string;
  /** Expected `iss` (`COGNITO_ISSUER`). */
  issuer?: string;
  /** JWKS location (`COGNITO_JWKS_URI`). Default `<issuer>/.well-known/jwks.json`. */
  jwksUri?: string;
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
}

/** Extra `forRoot` / `forRootAsync` settings that shape the module itself. */
export interface CognitoAuthModuleExtras {
  /** Register `CognitoGuard` as `APP_GUARD` so every route is protected unless `@Public()`. Default true. */
  globalGuard?: boolean;
}

/** Fully resolved settings, with every default applied and every value checked. */
export interface CognitoAuthSettings {
  readonly userPoolId: string;
  readonly clientIds: readonly string[];
  /** Client id to secret. */
  readonly clientSecrets: ReadonlyMap<string, string>;
  readonly region: string;
  readonly endpoint: string | undefined;
  /** The issuers accepted, the configured one first. */
  readonly issuers: readonly string[];
  readonly jwksUri: string;
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
    readonly names: { readonly access: string; readonly id: string; readonly refresh: string };
  };
  readonly csrf: boolean;
  /** `false` when sync is turned off; `'auto'` means on only when a DataSource is present. */
  readonly users: ResolvedUserSyncSettings | false;
  readonly clockToleranceSeconds: number;
  readonly maxTokenLength: number;
  readonly jwksTimeoutMs: number;
  readonly jwksRefetchCooldownMs: number;
  readonly cognitoTimeoutMs: number;
  readonly retryAfterSeconds: number;
  readonly tokenCacheSize: number;
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
