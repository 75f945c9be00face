import { type CanActivate, type ExecutionContext, Inject, Injectable, type OnModuleInit, Optional } from '@nestjs/common';
import { ModulesContainer, Reflector } from '@nestjs/core';
import type { AuthResult, TokenUse } from '../auth/authenticator.types.js';
import { isPromiseLike } from '../auth/maybe-async.js';
import { CognitoAuthenticator } from '../auth/cognito.authenticator.js';
import { COGNITO_AUTH_SETTINGS } from '../cognito-auth.constants.js';
import { CognitoContexts } from '../contexts/cognito-contexts.js';
import type { CognitoContextAdapter, ContextTokens } from '../contexts/context.adapter.js';
import { type AuthOutcome, COGNITO_REQUEST_STATE, type StateCarrier } from '../contexts/request-state.js';
import {
  AuthUnavailableError,
  type CognitoAuthError,
  ForbiddenCallerError,
  ForbiddenClaimsError,
  ForbiddenGroupError,
  ForbiddenScopeError,
  isCognitoAuthError,
  TokenMissingError,
} from '../errors/cognito-auth.errors.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { OnlineSessionChecker } from '../shared-state/online-session.checker.js';
import type { VerifiedTokens } from '../tokens/token.types.js';
import { linkGuardUse } from './guard-replacement.js';
import { checkPoolRule, readRouteRules, type RouteRules } from './route-rules.js';

/** What a carrier holds: the outcome, the tokens read, the mode, and the handler `validate` judged it for. */
type Outcome = AuthOutcome & { readonly tokens?: ContextTokens; readonly mode?: TokenUse; readonly handler?: unknown };

/**
 * The one guard of the library, for every execution context: HTTP (Express and Fastify),
 * GraphQL, WebSocket gateways and microservices. It picks the context's adapter, has the
 * authenticator verify the tokens (once per request, or per connection for sockets), then checks
 * the route's rules. A context type it does not know is refused (401 `token_missing`) unless the
 * route is `@Public()`. A context type named in `passThroughContexts`, known or not, is let through
 * the way a `@Public()` route is: tokens that are present are still read and verified, so
 * `@CurrentUser()` is the caller when they are valid, but a missing or bad token, or a rule the
 * caller does not meet, refuses nothing.
 *
 * Every step is a `protected` method, so an app can subclass the guard to read tokens from
 * another place, add a rule, or answer failures its own way.
 */
@Injectable()
export class CognitoGuard implements CanActivate, OnModuleInit {
  /** What a test's `overrideGuard(CognitoGuard)` put in this guard's place, which the global guard then defers to. */
  private replacement: CanActivate | undefined;
  @Optional() @Inject(ModulesContainer) private readonly modules?: ModulesContainer;

  constructor(
    protected readonly reflector: Reflector,
    @Inject(COGNITO_AUTH_SETTINGS) protected readonly settings: CognitoAuthSettings,
    protected readonly authenticator: CognitoAuthenticator,
    protected readonly contexts: CognitoContexts,
    @Optional() protected readonly onlineSessions?: OnlineSessionChecker,
  ) {}

  /**
   * Decides whether the call may reach its handler; a refusal is a rejected promise carrying the
   * context's form of it. A pass is `true` at once, with no promise, when the outcome is known
   * without waiting (tokens cached or verified on this thread, no user to load, no asynchronous
   * hook): Nest then skips an `await` per guard.
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (this.replacement) return this.replacement.canActivate(context) as boolean | Promise<boolean>;
    try {
      let rules = this.getRouteRules(context);
      const passThrough = this.settings.passThroughContexts;
      if (passThrough.length !== 0 && !rules.isPublic && passThrough.includes(context.getType<string>())) rules = publicCopy(rules);
      const adapter = this.contexts.adapterFor(context);
      if (!adapter) return Promise.resolve(this.handleUnknownContext(context, rules));
      const outcome = this.authenticateOnce(context, adapter, rules);
      if (outcome instanceof Promise) return outcome.then((o) => this.decide(context, adapter, rules, o));
      return this.decide(context, adapter, rules, outcome);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * In a test module where `overrideGuard(CognitoGuard)` replaced the guard's uses, the global
   * guard (a provider, which the override leaves alone) answers as the replacement does.
   */
  onModuleInit(): void {
    if (this.constructor === CognitoGuard) this.replacement = linkGuardUse(this.modules, CognitoGuard);
  }

  /** The outcome against the route: public routes pass, a failure is refused, then the route's rules. */
  private decide(
    context: ExecutionContext,
    adapter: CognitoContextAdapter,
    rules: RouteRules,
    outcome: Outcome,
  ): boolean | Promise<boolean> {
    if (rules.isPublic) return true;
    if (outcome.error) throw this.handleFailure(context, adapter, outcome.error, outcome.tokens);
    const refuse = (err: unknown): never => {
      throw isCognitoAuthError(err) ? this.handleFailure(context, adapter, err, outcome.tokens) : err;
    };
    try {
      this.checkRouteRules(outcome.result, rules, context);
    } catch (err) {
      refuse(err);
    }
    if (rules.freshSession) return this.checkFreshSession(outcome.result, context).then(() => true, refuse);
    return true;
  }

  /** The route's rules (`@Public`, `@Groups`, `@Scopes`, `@TokenUse`, callers), handler first. */
  protected getRouteRules(context: ExecutionContext): RouteRules {
    return readRouteRules(this.reflector, context.getHandler(), context.getClass());
  }

  /**
   * The tokens the context carries: its built-in places first, then the app's `tokenExtractor`
   * for any token they did not find (a built-in place, a header, always wins).
   */
  protected getTokens(context: ExecutionContext, adapter: CognitoContextAdapter): ContextTokens {
    const found = adapter.readTokens(context);
    const extractor = this.settings.tokenExtractor;
    if (!extractor || (found.access && found.id && found.refresh)) return found;
    const extra = extractor(context);
    if (!extra) return found;
    return {
      ...found,
      access: found.access ?? nonBlank(extra.access),
      id: found.id ?? nonBlank(extra.id),
      refresh: found.refresh ?? nonBlank(extra.refresh),
    };
  }

  /**
   * The app's `validate(tokens, info)` hook, run after verification and before user sync on every
   * call; false or a throw is 403 `forbidden_claims`. A hook that answers at once keeps the request
   * on the synchronous path (no promise); one that returns a promise is waited for.
   */
  protected validateClaims(tokens: VerifiedTokens, context: ExecutionContext): void | Promise<void> {
    const validate = this.settings.validate;
    if (!validate) return;
    let verdict: boolean | Promise<boolean>;
    try {
      verdict = validate(tokens, { contextType: context.getType<string>(), handler: context.getHandler(), controller: context.getClass() });
    } catch {
      throw new ForbiddenClaimsError();
    }
    const judge = (ok: unknown): void => {
      if (ok !== true) throw new ForbiddenClaimsError();
    };
    if (!isPromiseLike(verdict)) return judge(verdict);
    return Promise.resolve(verdict).then(judge, () => judge(false));
  }

  /** Checks the rules that need the verified caller; throws a 403 `CognitoAuthError` when one fails. */
  protected checkRouteRules(result: AuthResult, rules: RouteRules, _context: ExecutionContext): void {
    const { kind, groups, scopes } = result.identity;
    if (rules.callers === 'users' && kind !== 'user') throw new ForbiddenCallerError('Machine clients may not use this route');
    if (rules.callers === 'machines' && kind !== 'machine') throw new ForbiddenCallerError('Only machine clients may use this route');
    checkPoolRule(rules, result.identity.pool);
    if (rules.groups && !rules.groups.some((g) => groups.includes(g))) throw new ForbiddenGroupError();
    if (rules.allGroups && !rules.allGroups.every((g) => groups.includes(g))) throw new ForbiddenGroupError();
    if (rules.noGroups && rules.noGroups.some((g) => groups.includes(g))) throw new ForbiddenGroupError('Caller is in an excluded group');
    if (rules.scopes && !rules.scopes.every((s) => scopes.includes(s))) throw new ForbiddenScopeError();
  }

  /**
   * `@RequireFreshSession()`: asks Cognito whether the session is still live (at most once per
   * `onlineCheckSeconds` per token); 401 `token_revoked`, 403 `forbidden_scope` or 503.
   */
  protected async checkFreshSession(result: AuthResult, _context: ExecutionContext): Promise<void> {
    if (!this.onlineSessions) throw new AuthUnavailableError('The online session check is not available', this.settings.retryAfterSeconds);
    await this.onlineSessions.check(result.accessToken, result.tokens);
  }

  /** What to throw for a refusal: the context adapter's form of it (status headers, socket close...). */
  protected handleFailure(
    context: ExecutionContext,
    adapter: CognitoContextAdapter,
    error: CognitoAuthError,
    tokens: ContextTokens | undefined,
  ): Error {
    return adapter.refuse(context, error, tokens);
  }

  /**
   * A context type with no adapter: through only when its rules are public (`@Public()`, or the type
   * named in `passThroughContexts`, which `canActivate` has already turned into public rules), else
   * 401 `token_missing`.
   */
  protected handleUnknownContext(_context: ExecutionContext, rules: RouteRules): boolean {
    if (rules.isPublic) return true;
    throw new TokenMissingError([], true, 'Authentication token missing');
  }

  /** Authenticates the carrier once; a guard that runs again (global and per-controller) reuses it. */
  private authenticateOnce(context: ExecutionContext, adapter: CognitoContextAdapter, rules: RouteRules): Promise<Outcome> | Outcome {
    const carrier = (adapter.carrier(context) ?? {}) as StateCarrier;
    const slot = carrier[COGNITO_REQUEST_STATE] as Outcome | Promise<Outcome> | undefined;
    const mode = rules.tokenUse ?? this.settings.tokenUse;
    if (slot !== undefined && !(adapter.perConnection && !(slot instanceof Promise) && this.stale(slot, mode))) {
      return this.settings.validate ? this.judgedAgain(slot, context, adapter) : slot;
    }
    const keep = (outcome: Outcome): Outcome => {
      carrier[COGNITO_REQUEST_STATE] = outcome;
      if (outcome.result) carrier.user = outcome.result.user;
      return outcome;
    };
    const established = this.establish(context, adapter, mode);
    if (!(established instanceof Promise)) return keep(established);
    const pending = established.then(keep);
    carrier[COGNITO_REQUEST_STATE] = pending;
    return pending;
  }

  /**
   * An outcome reused by another call. The app's `validate` hook is not cached: it runs again for
   * every message of a connection, and for another handler of the same request (a second GraphQL
   * field); only a second guard on the same handler of one request (global and per-controller)
   * reuses its verdict. A refusal answers this call and is not kept: the next call is judged anew.
   */
  private judgedAgain(
    slot: Outcome | Promise<Outcome>,
    context: ExecutionContext,
    adapter: CognitoContextAdapter,
  ): Outcome | Promise<Outcome> {
    if (slot instanceof Promise) return slot.then((outcome) => this.judgedAgain(outcome, context, adapter));
    if (!slot.result || (!adapter.perConnection && slot.handler === context.getHandler())) return slot;
    const mode = slot.mode ?? this.settings.tokenUse;
    try {
      const verdict = this.validateClaims(slot.result.tokens, context);
      if (!(verdict instanceof Promise)) return slot;
      return verdict.then(
        () => slot,
        (err: unknown) => this.failed(err, slot.tokens, mode),
      );
    } catch (err) {
      return this.failed(err, slot.tokens, mode);
    }
  }

  /**
   * A connection's outcome is established again when it was made for another token mode (a
   * route with its own `@TokenUse`), or when its identity has expired or been revoked since.
   */
  private stale(outcome: Outcome, mode: TokenUse): boolean {
    if ((outcome.mode ?? this.settings.tokenUse) !== mode) return true;
    return outcome.result !== undefined && this.authenticator.isStale(outcome.result);
  }

  /** Reads, checks and authenticates the context's tokens; any failure becomes the outcome's error. */
  private establish(context: ExecutionContext, adapter: CognitoContextAdapter, tokenUse: TokenUse): Outcome | Promise<Outcome> {
    let tokens: ContextTokens | undefined;
    try {
      tokens = this.getTokens(context, adapter);
      this.authenticator.requireTokens(tokens, tokenUse);
      adapter.beforeVerify?.(context, tokens);
      const result = this.authenticator.authenticateNow(tokens, {
        tokenUse,
        allowRefresh: adapter.canRefresh,
        afterVerify: this.settings.validate ? (verified) => this.validateClaims(verified, context) : undefined,
      });
      if (!(result instanceof Promise)) return this.succeeded(context, adapter, tokens, result, tokenUse);
      const read = tokens;
      return result
        .then((r) => this.succeeded(context, adapter, read, r, tokenUse))
        .then(undefined, (err: unknown) => this.failed(err, read, tokenUse));
    } catch (err) {
      return this.failed(err, tokens, tokenUse);
    }
  }

  private succeeded(
    context: ExecutionContext,
    adapter: CognitoContextAdapter,
    tokens: ContextTokens,
    result: AuthResult,
    mode: TokenUse,
  ): Outcome {
    adapter.onSuccess?.(context, tokens, result);
    return { result, tokens, mode, handler: context.getHandler() };
  }

  private failed(err: unknown, tokens: ContextTokens | undefined, mode: TokenUse): Outcome {
    return { error: this.authenticator.asAuthError(err), tokens, mode };
  }
}

/** The public form of each route's rules, made once (route rules are kept per handler and class). */
const publicCopies = new WeakMap<RouteRules, RouteRules>();

/** `rules` with `isPublic` set: what a route of a context type named in `passThroughContexts` follows. */
function publicCopy(rules: RouteRules): RouteRules {
  let copy = publicCopies.get(rules);
  if (!copy) publicCopies.set(rules, (copy = Object.freeze({ ...rules, isPublic: true })));
  return copy;
}

function nonBlank(value: string | undefined): string | undefined {
  const trimmed = typeof value === 'string' ? value.trim() : '';
  return trimmed === '' ? undefined : trimmed;
}
