// A CommonJS consumer (require() at run time): the package's "require" declarations (nodenext),
// or "types" and "typesVersions" (node10).
import { CognitoAuthModule, TokenMissingError, type CognitoAuthModuleOptions } from 'nest-cognito-auth';
import { TestIdentityProvider } from 'nest-cognito-auth/testing';

export const module = CognitoAuthModule.forRoot({ userPoolId: 'eu-west-1_AbC123', clientId: 'web' });
export const missing = new TokenMissingError(['id'], false);
export const start: typeof TestIdentityProvider.start = TestIdentityProvider.start;

// @ts-expect-error clientId is a string or a list of strings
export const wrongClient: CognitoAuthModuleOptions = { userPoolId: 'eu-west-1_AbC123', clientId: 42 };
