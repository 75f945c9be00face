import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { carrierOf, getAuthResult } from '../contexts/request-state.js';

/**
 * The caller: the synced user entity when user sync is on, else a `CognitoPrincipal` built from
 * the verified claims (always the principal for a machine caller); `undefined` on a `@Public()`
 * route reached without a valid token. `@CurrentUser('email')` gives one property of it. Works
 * the same in every context (HTTP, GraphQL, WebSockets, microservices).
 */
export const CurrentUser = createParamDecorator((property: string | undefined, ctx: ExecutionContext): unknown => {
  const user = getAuthResult(carrierOf(ctx))?.user;
  if (property === undefined || user === undefined || user === null) return user;
  return (user as Record<string, unknown>)[property];
});
