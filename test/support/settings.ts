import { CognitoConfigError } from '../../src/errors/cognito-auth.errors.js';

/** An environment reader over `vars`, as `resolveCognitoSettings` takes one. */
export const envOf =
  (vars: Record<string, string>) =>
  (name: string): string | undefined =>
    vars[name];

/** The smallest environment that resolves: a pool and its app client. */
export const BASE_ENV = { COGNITO_POOL_ID: 'eu-west-1_AbC123', APP_CLIENT_ID: 'client1' };

/** The `CognitoConfigError` that `fn` throws; fails the test when it throws nothing or something else. */
export function configError(fn: () => unknown): CognitoConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CognitoConfigError);
    return err as CognitoConfigError;
  }
  throw new Error('expected a CognitoConfigError');
}
