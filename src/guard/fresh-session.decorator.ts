import { SetMetadata } from '@nestjs/common';

/** Metadata key set by `@RequireFreshSession()`. */
export const FRESH_SESSION_KEY = 'cognito-auth:fresh-session';

/**
 * Checks the caller's session with Cognito (`GetUser`) besides verifying the tokens offline, so a
 * revocation made outside the app (the console, another service, a global sign-out) is seen
 * within `onlineCheckSeconds` (`COGNITO_ONLINE_CHECK_SECONDS`, default 60): a revoked token is
 * 401 `token_revoked`. Each token is checked at most once per that period, across instances
 * sharing a store. Only user access tokens (scope `aws.cognito.signin.user.admin`) can be
 * checked: any other caller gets 403 `forbidden_scope`. On a handler or a controller.
 */
export const RequireFreshSession = (): MethodDecorator & ClassDecorator => SetMetadata(FRESH_SESSION_KEY, true);
