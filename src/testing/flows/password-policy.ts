/** A user pool's password policy (Cognito's defaults: 8 characters, all four kinds). */
export interface TestPasswordPolicy {
  minLength: number;
  requireUppercase: boolean;
  requireLowercase: boolean;
  requireNumbers: boolean;
  requireSymbols: boolean;
}

/** Cognito's default policy. */
export function defaultPasswordPolicy(): TestPasswordPolicy {
  return { minLength: 8, requireUppercase: true, requireLowercase: true, requireNumbers: true, requireSymbols: true };
}

/** Cognito's message for a password that breaks the policy (it never quotes the password), or undefined. */
export function policyViolation(policy: TestPasswordPolicy, password: string): string | undefined {
  const prefix = 'Password did not conform with policy: ';
  if (password.length < policy.minLength) return `${prefix}Password not long enough`;
  if (policy.requireUppercase && !/[A-Z]/.test(password)) return `${prefix}Password must have uppercase characters`;
  if (policy.requireLowercase && !/[a-z]/.test(password)) return `${prefix}Password must have lowercase characters`;
  if (policy.requireNumbers && !/[0-9]/.test(password)) return `${prefix}Password must have numeric characters`;
  if (policy.requireSymbols && !/[\^$*.[\]{}()?"!@#%&/\\,><':;|_~`=+\- ]/.test(password))
    return `${prefix}Password must have symbol characters`;
  return undefined;
}
