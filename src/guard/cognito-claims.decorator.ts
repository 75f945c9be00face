import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { VerifiedTokens } from '../tokens/token.types.js';
import { getRequestState } from '../contexts/request-state.js';

/** The verified claims of the request's tokens, `{ access?, id? }`; `{}` when anonymous. */
export const CognitoClaims = createParamDecorator((_: unknown, ctx: ExecutionContext): VerifiedTokens => {
  return getRequestState(ctx.switchToHttp().getRequest())?.tokens ?? {};
});
