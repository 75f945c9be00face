import { SetMetadata } from '@nestjs/common';
import { GROUPS_KEY, IS_PUBLIC_KEY, SCOPES_KEY } from '../cognito-auth.constants.js';

/**
 * Opens a route (or controller) to anonymous callers. A valid token is still verified and gives
 * `@CurrentUser()`; an invalid one lets the request through anonymously.
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);

/**
 * Requires the caller to be in at least one of these Cognito groups (`cognito:groups`);
 * 403 `forbidden_group` otherwise. On a handler it replaces the controller's.
 */
export const Groups = (...groups: string[]): MethodDecorator & ClassDecorator => SetMetadata(GROUPS_KEY, groups);

/**
 * Requires the access token to carry every one of these OAuth scopes (`scope`);
 * 403 `forbidden_scope` otherwise. On a handler it replaces the controller's.
 */
export const Scopes = (...scopes: string[]): MethodDecorator & ClassDecorator => SetMetadata(SCOPES_KEY, scopes);
