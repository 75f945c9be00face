import { createHash, timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { COGNITO_AUTH_SETTINGS, GROUPS_KEY, IS_PUBLIC_KEY, SCOPES_KEY } from '../cognito-auth.constants.js';
import {
  AuthUnavailableError,
  CognitoAuthError,
  CsrfFailedError,
  ForbiddenGroupError,
  ForbiddenScopeError,
  RefreshFailedError,
  TokenExpiredError,
  TokenInvalidError,
  TokenMismatchError,
  TokenMissingError,
  type TokenKind,
} from '../errors/cognito-auth.errors.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { JwtValidationService } from '../tokens/jwt-validation.service.js';
import { TokenRefreshService } from '../tokens/token-refresh.service.js';
import type { CognitoAccessTokenClaims, CognitoIdTokenClaims, CognitoPrincipal, VerifiedTokens } from '../tokens/token.types.js';
import { UserSyncService } from '../users/user-sync.service.js';
import { CognitoSessionService } from '../session/cognito-session.service.js';
import { setResponseHeader } from '../session/http-response.js';
import {
  type AuthOutcome,
  buildPrincipal,
  COGNITO_REQUEST_STATE,
  type CognitoRequest,
  type CognitoRequestState,
} from '../contexts/request-state.js';
import { extractTokens, type ExtractedTokens, type RequestHeadersLike } from '../session/http-tokens.extractor.js';

type Settled<T> = { claims: T; error?: undefined } | { claims?: T; error: CognitoAuthError };
type GuardRequest = RequestHeadersLike & CognitoRequest & { method?: string };

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const REALM = 'Bearer realm="cognito"';
// Route metadata, read once per handler and controller class (a handler may be inherited).
interface RouteRules {
  readonly isPublic: boolean;
  readonly groups: readonly string[] | undefined;
  readonly scopes: readonly string[] | undefined;
}
const routeRules = new WeakMap<Function, WeakMap<Function, RouteRules>>();
/**
 * What the guard derives from the cached tokens of a request, kept in the cache entry of the
 * ID token (or the access token alone): valid while the same other token comes with it.
 */
interface FastMemo {
  readonly other: object | undefined;
  readonly tokens: VerifiedTokens;
  readonly principal: CognitoPrincipal;
  /** The request state when user sync is off (the user is then the principal). */
  state?: CognitoRequestState;
}

/** What verification established: a memo on the fast path, a fresh result otherwise. */
type Verified = FastMemo | { readonly tokens: VerifiedTokens; readonly principal: CognitoPrincipal };

/**
 * The one guard of the library (DESIGN.md section 3): extracts the tokens, verifies them (and
 * their pairing), refreshes expired ones, resolves the user, then checks `@Groups` / `@Scopes`.
 * Registered globally by default; `@UseGuards(CognitoGuard)` works too, and a request that
 * meets it twice is authenticated once. Every failure is answered with its DESIGN.md status.
 * HTTP only: other execution contexts (RPC, WebSocket) pass through untouched.
 */
@Injectable()
export class CognitoGuard implements CanActivate {
  private readonly logger = new Logger(CognitoGuard.name);

  constructor(
    private readonly reflector: Reflector,
    @Inject(COGNITO_AUTH_SETTINGS) private readonly settings: CognitoAuthSettings,
    private readonly jwt: JwtValidationService,
    private readonly refresher: TokenRefreshService,
    private readonly users: UserSyncService,
    private readonly session: CognitoSessionService,
  ) {}

  /** Decides whether the request may reach its handler; throws the DESIGN.md error otherwise. */
  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const http = context.switchToHttp();
    const req = http.getRequest<GuardRequest>();
    const res = http.getResponse<unknown>();
    const rules = this.rulesOf(context.getHandler(), context.getClass());

    // The global guard and each @UseGuards(CognitoGuard) are separate instances: the slot on the
    // request makes a request that meets several authenticate once.
    let slot = req[COGNITO_REQUEST_STATE];
    if (slot === undefined) {
      const pending = this.authenticate(req, res);
      slot = req[COGNITO_REQUEST_STATE] ??= pending;
    }
    const { state, error } = slot instanceof Promise ? await slot : slot;
    if (rules.isPublic) return true;
    if (error) throw this.answer(res, error);

    const { groups, scopes } = rules;
    if (groups && !groups.some((g) => state.principal.groups.includes(g))) throw new ForbiddenGroupError();
    if (scopes && !scopes.every((s) => state.principal.scopes.includes(s))) throw new ForbiddenScopeError();
    return true;
  }

  private rulesOf(handler: Function, controller: Function): RouteRules {
    let byClass = routeRules.get(handler);
    if (!byClass) routeRules.set(handler, (byClass = new WeakMap()));
    let rules = byClass.get(controller);
    if (!rules) {
      const targets = [handler, controller];
      const groups = this.reflector.getAllAndOverride<string[] | undefined>(GROUPS_KEY, targets);
      const scopes = this.reflector.getAllAndOverride<string[] | undefined>(SCOPES_KEY, targets);
      rules = {
        isPublic: this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets) === true,
        groups: groups?.length ? groups : undefined,
        scopes: scopes?.length ? scopes : undefined,
      };
      byClass.set(controller, rules);
    }
    return rules;
  }

  private async authenticate(req: GuardRequest, res: unknown): Promise<AuthOutcome> {
    const outcome = await this.establish(req, res);
    req[COGNITO_REQUEST_STATE] = outcome;
    return outcome;
  }

  private async establish(req: GuardRequest, res: unknown): Promise<AuthOutcome> {
    try {
      const extracted = extractTokens(req, this.settings);
      this.requireTokens(extracted);
      if (this.settings.csrf && extracted.fromCookies && UNSAFE_METHODS.has((req.method ?? 'GET').toUpperCase())) {
        this.checkCsrf(req, extracted);
      }
      const verified = await this.verify(extracted, res);
      const { tokens, principal } = verified;
      const memo = 'other' in verified ? verified : undefined;
      let state: CognitoRequestState;
      if (this.users.enabled) {
        state = Object.freeze({ tokens, principal, user: await this.users.resolveUser(tokens) });
      } else if (memo) {
        state = memo.state ??= Object.freeze({ tokens, principal, user: principal });
      } else {
        state = Object.freeze({ tokens, principal, user: principal });
      }
      req.user = state.user;
      if (this.settings.csrf && extracted.fromCookies && !extracted.cookies.has(CognitoSessionService.CSRF_COOKIE)) {
        this.session.issueCsrfCookie(res);
      }
      return { state };
    } catch (err) {
      if (err instanceof CognitoAuthError) return { error: err };
      // A bug or an unforeseen library failure: answered as 503, never as a 500 with details.
      this.logger.error(`Unexpected ${err instanceof Error ? err.name : typeof err} while authenticating`);
      return { error: new AuthUnavailableError(undefined, this.settings.retryAfterSeconds) };
    }
  }

  private requireTokens(t: ExtractedTokens): void {
    const missing: TokenKind[] = [];
    if (this.settings.tokenUse !== 'id' && !t.access) missing.push('access');
    if (this.settings.tokenUse !== 'access' && !t.id) missing.push('id');
    if (missing.length === 0) return;
    const none = !t.access && !t.id && !t.refresh;
    throw new TokenMissingError(missing, none, none ? 'Authentication token missing' : undefined);
  }

  private checkCsrf(req: GuardRequest, t: ExtractedTokens): void {
    const sent = req.headers['x-csrf-token'];
    const expected = t.cookies.get(CognitoSessionService.CSRF_COOKIE);
    if (typeof sent !== 'string' || !sent || !expected || !constantTimeEqual(sent, expected)) throw new CsrfFailedError();
  }

  /** Verifies each token, then the pair; refreshes when the only fault is expiry. */
  private async verify(t: ExtractedTokens, res: unknown): Promise<Verified> {
    // Fast path: every token sent was verified before and is still valid.
    const accessHit = t.access ? this.jwt.cachedToken(t.access, 'access') : undefined;
    const idHit = t.id ? this.jwt.cachedToken(t.id, 'id') : undefined;
    if ((!t.access || accessHit) && (!t.id || idHit)) {
      const primary = (idHit ?? accessHit)!;
      const other = idHit ? accessHit?.claims : undefined;
      let memo = primary.memo as FastMemo | undefined;
      if (!memo || memo.other !== other) {
        const tokens: VerifiedTokens = Object.freeze({
          access: accessHit?.claims as CognitoAccessTokenClaims | undefined,
          id: idHit?.claims as CognitoIdTokenClaims | undefined,
        });
        if (tokens.access && tokens.id) this.jwt.checkPair(tokens.id, tokens.access, t.access!);
        memo = primary.memo = { other, tokens, principal: buildPrincipal(tokens) };
      }
      return memo;
    }
    const tokens = await this.verifyFully(t, res);
    return { tokens, principal: buildPrincipal(tokens) };
  }

  private async verifyFully(t: ExtractedTokens, res: unknown): Promise<VerifiedTokens> {
    const [access, id] = await Promise.all([
      t.access ? settle(this.jwt.verifyAccessToken(t.access)) : undefined,
      t.id ? settle(this.jwt.verifyIdToken(t.id)) : undefined,
    ]);
    const errors = [access?.error, id?.error].filter((e): e is CognitoAuthError => e !== undefined);
    const fatal = errors.find((e) => e instanceof TokenInvalidError) ?? errors.find((e) => !(e instanceof TokenExpiredError));
    if (fatal) throw fatal;
    if (access?.claims && id?.claims) this.jwt.checkPair(id.claims, access.claims, t.access!);
    const expired = errors[0];
    if (!expired) return { access: access?.claims, id: id?.claims };
    if (!t.refresh || !this.settings.autoRefresh) throw expired;
    return this.refresh(t.refresh, access?.claims, id?.claims, res);
  }

  private async refresh(
    refreshToken: string,
    access: CognitoAccessTokenClaims | undefined,
    id: CognitoIdTokenClaims | undefined,
    res: unknown,
  ): Promise<VerifiedTokens> {
    const owner = (id ?? access)!;
    let fresh;
    try {
      fresh = await this.refresher.refresh({
        refreshToken,
        clientId: access?.client_id ?? id!.aud,
        username: id?.['cognito:username'] ?? access?.username,
      });
    } catch (err) {
      if (err instanceof RefreshFailedError && this.settings.cookies.enabled) this.session.clearCookies(res);
      throw err;
    }
    const verified = await this.jwt.verifyPair(fresh.idToken, fresh.accessToken);
    if (verified.access.sub !== owner.sub) throw new TokenMismatchError('Refreshed tokens belong to another user');
    this.session.sendTokens(res, fresh);
    return verified;
  }

  private answer(res: unknown, error: CognitoAuthError): CognitoAuthError {
    if (error.getStatus() === 401) {
      const value =
        error instanceof TokenMissingError
          ? error.noTokenAtAll
            ? REALM
            : `${REALM}, error="invalid_request"`
          : `${REALM}, error="invalid_token"`;
      setResponseHeader(res, 'WWW-Authenticate', value);
    }
    if (error instanceof AuthUnavailableError) setResponseHeader(res, 'Retry-After', String(error.retryAfterSeconds));
    return error;
  }
}

async function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  try {
    return { claims: await promise };
  } catch (err) {
    if (err instanceof TokenExpiredError) return { claims: err.claims as T | undefined, error: err };
    if (err instanceof CognitoAuthError) return { error: err };
    return { error: new TokenInvalidError() };
  }
}

function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db) && a.length === b.length;
}
