import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { carrierOf, getAuthResult } from '../contexts/request-state.js';
import type { VerifiedTokens } from '../tokens/token.types.js';

/** The verified claims of the caller's tokens, `{ access?, id? }`; `{}` when anonymous. */
export const CognitoClaims = createParamDecorator((_: unknown, ctx: ExecutionContext): VerifiedTokens => {
  return getAuthResult(carrierOf(ctx))?.tokens ?? {};
});

/**
 * The raw access token the caller presented (after a transparent refresh, the new one), for
 * calls downstream; `undefined` when there is none.
 */
export const AccessToken = createParamDecorator((_: unknown, ctx: ExecutionContext): string | undefined => {
  return getAuthResult(carrierOf(ctx))?.accessToken;
});
