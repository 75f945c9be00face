import { SetMetadata } from '@nestjs/common';
import type { TokenUse as TokenUseMode } from '../auth/authenticator.types.js';
import {
  ALL_GROUPS_KEY,
  CALLERS_KEY,
  GROUPS_KEY,
  IS_PUBLIC_KEY,
  NO_GROUPS_KEY,
  SCOPES_KEY,
  TOKEN_USE_KEY,
} from '../cognito-auth.constants.js';

type RouteDecorator = MethodDecorator & ClassDecorator;

/**
 * Opens a route (or controller) to anonymous callers. A valid token is still verified and gives
 * `@CurrentUser()`; an invalid one lets the request through anonymously. On a controller it
 * opens every handler except one that carries its own `@Groups`, `@AllGroups`, `@NoGroups`,
 * `@Scopes` or `@Pools`.
 */
export const Public = (): RouteDecorator => SetMetadata(IS_PUBLIC_KEY, true);

/**
 * Requires the caller to be in at least one of these Cognito groups (`cognito:groups`);
 * 403 `forbidden_group` otherwise. On a handler it replaces the controller's.
 */
export const Groups = (...groups: string[]): RouteDecorator => SetMetadata(GROUPS_KEY, groups);

/** Requires the caller to be in every one of these groups; 403 `forbidden_group` otherwise. */
export const AllGroups = (...groups: string[]): RouteDecorator => SetMetadata(ALL_GROUPS_KEY, groups);

/** Refuses callers in any of these groups; 403 `forbidden_group`. */
export const NoGroups = (...groups: string[]): RouteDecorator => SetMetadata(NO_GROUPS_KEY, groups);

/**
 * Requires the access token to carry every one of these OAuth scopes (`scope`);
 * 403 `forbidden_scope` otherwise. On a handler it replaces the controller's.
 */
export const Scopes = (...scopes: string[]): RouteDecorator => SetMetadata(SCOPES_KEY, scopes);

/**
 * The route's token mode, over the module's `tokenUse`: `'id+access'` (both, paired), `'access'`,
 * `'id'`, or `'any'` (a lone access or ID token, or the pair).
 */
export const TokenUse = (mode: TokenUseMode): RouteDecorator => SetMetadata(TOKEN_USE_KEY, mode);

/** Lets machine callers (client-credentials access tokens) in as well as users. */
export const AllowMachines = (): RouteDecorator => SetMetadata(CALLERS_KEY, 'both');

/** Only machine callers (client-credentials access tokens); users get 403 `forbidden_caller`. */
export const MachinesOnly = (): RouteDecorator => SetMetadata(CALLERS_KEY, 'machines');

/** The token modes `@TokenUse()` and the `tokenUse` option accept. */
export type TokenUse = TokenUseMode;
