import { SetMetadata } from '@nestjs/common';

/** Metadata key set by `@Pools()`. A plain string, so a CommonJS and an ESM copy of the package agree on it. */
export const POOLS_KEY = 'cognito-auth:pools';

/**
 * Lets only callers of these user pools in (by the names of `pools` / `COGNITO_POOLS`; `default` is
 * the pool of `userPoolId` / `COGNITO_POOL_ID`); a caller of another pool gets 403
 * `forbidden_caller`. On a handler it replaces its controller's. A name no pool has stops start-up.
 */
export const Pools = (...names: string[]): MethodDecorator & ClassDecorator => SetMetadata(POOLS_KEY, names);
