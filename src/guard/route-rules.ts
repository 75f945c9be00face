import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { FRESH_SESSION_KEY } from './fresh-session.decorator.js';
import type { TokenUse } from '../auth/authenticator.types.js';
import {
  ALL_GROUPS_KEY,
  CALLERS_KEY,
  GROUPS_KEY,
  IS_PUBLIC_KEY,
  NO_GROUPS_KEY,
  SCOPES_KEY,
  TOKEN_USE_KEY,
} from '../cognito-auth.constants.js';
import { ForbiddenCallerError } from '../errors/cognito-auth.errors.js';
import { POOLS_KEY } from './pools.decorator.js';

/** Which callers a route takes: users (the default), machines (client credentials), or both. */
export type AllowedCallers = 'users' | 'machines' | 'both';

/** What the decorators on a handler and its controller ask of a caller. */
export interface RouteRules {
  /** Anonymous callers may pass; a valid token still gives `@CurrentUser()`. */
  readonly isPublic: boolean;
  /** `@Groups`: the caller is in at least one. */
  readonly groups: readonly string[] | undefined;
  /** `@AllGroups`: the caller is in every one. */
  readonly allGroups: readonly string[] | undefined;
  /** `@NoGroups`: the caller is in none. */
  readonly noGroups: readonly string[] | undefined;
  /** `@Scopes`: the access token carries every one. */
  readonly scopes: readonly string[] | undefined;
  /** `@TokenUse`: the route's token mode, else the module's. */
  readonly tokenUse: TokenUse | undefined;
  /** `@AllowMachines` / `@MachinesOnly`; default users only. */
  readonly callers: AllowedCallers;
  /** `@RequireFreshSession()`: the session is also checked with Cognito (`GetUser`). */
  readonly freshSession: boolean;
  /** `@Pools`: the caller comes from one of these pools. */
  readonly pools: readonly string[] | undefined;
}

type Handler = ReturnType<ExecutionContext['getHandler']>;
type Controller = ReturnType<ExecutionContext['getClass']>;

const cache = new WeakMap<Handler, WeakMap<Controller, RouteRules>>();

const list = (value: readonly string[] | undefined): readonly string[] | undefined => (value?.length ? value : undefined);

/**
 * Reads the route's rules once per handler and controller class (a handler may be inherited).
 * A handler's decorator replaces its class's. `@Public()` on a handler makes it public;
 * `@Public()` on a class makes its handlers public except one that carries its own `@Groups`,
 * `@AllGroups`, `@NoGroups`, `@Scopes` or `@Pools`: that one needs a valid token and meets its rule.
 */
export function readRouteRules(reflector: Reflector, handler: Handler, controller: Controller): RouteRules {
  let byClass = cache.get(handler);
  if (!byClass) cache.set(handler, (byClass = new WeakMap()));
  let rules = byClass.get(controller);
  if (rules) return rules;
  const targets = [handler, controller];
  const own = <T>(key: string): T | undefined => reflector.get<T | undefined>(key, handler);
  const both = <T>(key: string): T | undefined => reflector.getAllAndOverride<T | undefined>(key, targets);
  const handlerHasRules = [GROUPS_KEY, ALL_GROUPS_KEY, NO_GROUPS_KEY, SCOPES_KEY, POOLS_KEY].some(
    (k) => list(own<string[]>(k)) !== undefined,
  );
  const handlerPublic = own<boolean>(IS_PUBLIC_KEY);
  const classPublic = reflector.get<boolean | undefined>(IS_PUBLIC_KEY, controller) === true;
  rules = Object.freeze({
    isPublic: handlerPublic === true || (handlerPublic === undefined && classPublic && !handlerHasRules),
    groups: list(both<string[]>(GROUPS_KEY)),
    allGroups: list(both<string[]>(ALL_GROUPS_KEY)),
    noGroups: list(both<string[]>(NO_GROUPS_KEY)),
    scopes: list(both<string[]>(SCOPES_KEY)),
    tokenUse: both<TokenUse>(TOKEN_USE_KEY),
    callers: both<AllowedCallers>(CALLERS_KEY) ?? 'users',
    freshSession: both<boolean>(FRESH_SESSION_KEY) === true,
    pools: list(both<string[]>(POOLS_KEY)),
  });
  byClass.set(controller, rules);
  return rules;
}

/**
 * `@Pools`: a caller whose tokens come from a pool the route does not list is refused with 403
 * `forbidden_caller` (a caller the route does not take, like a machine on a users' route).
 * @throws ForbiddenCallerError
 */
export function checkPoolRule(rules: Pick<RouteRules, 'pools'>, pool: string): void {
  if (rules.pools && !rules.pools.includes(pool)) throw new ForbiddenCallerError('Callers of this user pool may not use this route');
}
