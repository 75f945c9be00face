import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { getRequestState } from '../contexts/request-state.js';

/**
 * The caller: the synced user entity when user sync is on, else a `CognitoPrincipal` built from
 * the verified claims; `undefined` on a `@Public()` route reached without a valid token.
 * `@CurrentUser('email')` gives one property of it.
 */
export const CurrentUser = createParamDecorator((property: string | undefined, ctx: ExecutionContext): unknown => {
  const user = getRequestState(ctx.switchToHttp().getRequest())?.user;
  if (property === undefined || user === undefined || user === null) return user;
  return (user as Record<string, unknown>)[property];
});
