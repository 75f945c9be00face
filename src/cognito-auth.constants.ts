// Injection tokens and metadata keys are `Symbol.for(...)` / plain strings, so a CommonJS and an
// ESM copy of the package loaded into one app agree on them.

/** Injection token of the resolved, checked settings (`CognitoAuthSettings`). */
export const COGNITO_AUTH_SETTINGS = Symbol.for('nest-cognito-auth:settings');
/** Injection token of the clock the library reads (ms since the epoch); tests may provide their own. */
export const COGNITO_CLOCK = Symbol.for('nest-cognito-auth:clock');

/** Metadata key set by `@Public()`. */
export const IS_PUBLIC_KEY = 'cognito-auth:public';
/** Metadata key set by `@Groups()`. */
export const GROUPS_KEY = 'cognito-auth:groups';
/** Metadata key set by `@Scopes()`. */
export const SCOPES_KEY = 'cognito-auth:scopes';
/** Metadata key set by `@AllGroups()`. */
export const ALL_GROUPS_KEY = 'cognito-auth:all-groups';
/** Metadata key set by `@NoGroups()`. */
export const NO_GROUPS_KEY = 'cognito-auth:no-groups';
/** Metadata key set by `@TokenUse()`. */
export const TOKEN_USE_KEY = 'cognito-auth:token-use';
/** Metadata key set by `@AllowMachines()` / `@MachinesOnly()`. */
export const CALLERS_KEY = 'cognito-auth:callers';
