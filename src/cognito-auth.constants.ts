/** Injection token of the resolved, checked settings (`CognitoAuthSettings`). */
export const COGNITO_AUTH_SETTINGS = Symbol('COGNITO_AUTH_SETTINGS');

/** Metadata key set by `@Public()`. */
export const IS_PUBLIC_KEY = 'cognito-auth:public';
/** Metadata key set by `@Groups()`. */
export const GROUPS_KEY = 'cognito-auth:groups';
/** Metadata key set by `@Scopes()`. */
export const SCOPES_KEY = 'cognito-auth:scopes';
