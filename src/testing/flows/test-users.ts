import { randomInt, randomUUID } from 'node:crypto';
import { createVerifier, type SrpVerifier } from './srp-server.js';
import { createTotpSecret } from './totp.js';

/** Cognito's user statuses the test identity provider plays. */
export type TestUserStatus = 'CONFIRMED' | 'UNCONFIRMED' | 'FORCE_CHANGE_PASSWORD' | 'RESET_REQUIRED';

/** The MFA methods a test user may have. */
export type TestMfaMethod = 'SMS_MFA' | 'SOFTWARE_TOKEN_MFA' | 'EMAIL_OTP';

/** A user to add with `idp.flows.addUser()`. */
export interface TestUserSpec {
  readonly username: string;
  readonly password: string;
  /** Default a random UUID. */
  readonly sub?: string;
  /** Default `<username>@example.test`; `null` for none. Users can also sign in with it (an alias). */
  readonly email?: string | null;
  readonly phoneNumber?: string;
  /** Further attributes, put into the ID token (e.g. `{ given_name: 'Ada', 'custom:team': 'x' }`). */
  readonly attributes?: Readonly<Record<string, string>>;
  readonly groups?: readonly string[];
  /** Default `CONFIRMED`. `FORCE_CHANGE_PASSWORD` makes the next sign-in answer NEW_PASSWORD_REQUIRED. */
  readonly status?: TestUserStatus;
  /** Default true; a disabled user cannot sign in. */
  readonly enabled?: boolean;
  /** MFA required at sign-in, by method. Several without `preferredMfa` give SELECT_MFA_TYPE. */
  readonly mfa?: readonly TestMfaMethod[];
  readonly preferredMfa?: TestMfaMethod;
  /** The TOTP secret (base32) when `mfa` has SOFTWARE_TOKEN_MFA. Default a new one. */
  readonly totpSecret?: string;
  /** The next sign-in must enrol a TOTP app (MFA_SETUP) before it gets tokens. */
  readonly requireMfaSetup?: boolean;
}

/** A user of the test pool; tests may read and change it. */
export interface TestUser {
  readonly username: string;
  readonly sub: string;
  password: string;
  email: string | null;
  emailVerified: boolean;
  phoneNumber: string | undefined;
  attributes: Record<string, string>;
  groups: string[];
  status: TestUserStatus;
  enabled: boolean;
  mfa: TestMfaMethod[];
  preferredMfa: TestMfaMethod | undefined;
  totpSecret: string | undefined;
  requireMfaSetup: boolean;
  /** The last TOTP time step used (a code is good once). */
  lastTotpStep?: number;
  /** A TOTP secret being enrolled with an access token (`AssociateSoftwareToken`). */
  pendingTotpSecret?: string;
  /** `GlobalSignOut`: epoch ms, and the sessions (`origin_jti`) signed out. */
  signedOutAtMs?: number;
  readonly revokedOrigins: Set<string>;
  readonly issuedOrigins: Set<string>;
}

/** The kinds of one-time code the pool sends. */
export type TestCodeKind = 'signup' | 'forgot' | 'SMS_MFA' | 'EMAIL_OTP';

interface StoredCode {
  readonly code: string;
  readonly expiresAtMs: number;
  readonly used?: boolean;
}

/** How long each kind of code is good for (Cognito: 24 h, 1 h, 3 min, 3 min). */
const CODE_TTL_MS: Record<TestCodeKind, number> = {
  signup: 24 * 3600_000,
  forgot: 3600_000,
  SMS_MFA: 180_000,
  EMAIL_OTP: 180_000,
};

/** The users of the test pool, their SRP verifiers and the codes sent to them. */
export class TestUserStore {
  private readonly users = new Map<string, TestUser>();
  private readonly verifiers = new Map<string, { password: string; verifier: SrpVerifier }>();
  private readonly codes = new Map<string, StoredCode>();

  constructor(
    private readonly poolName: string,
    private readonly now: () => number,
  ) {}

  /** Adds (or replaces) a user. */
  add(spec: TestUserSpec): TestUser {
    const mfa = [...(spec.mfa ?? [])];
    const user: TestUser = {
      username: spec.username,
      sub: spec.sub ?? randomUUID(),
      password: spec.password,
      email: spec.email === null ? null : (spec.email ?? `${spec.username}@example.test`),
      emailVerified: spec.email !== null,
      phoneNumber: spec.phoneNumber ?? (mfa.includes('SMS_MFA') ? '+15555550100' : undefined),
      attributes: { ...(spec.attributes ?? {}) },
      groups: [...(spec.groups ?? [])],
      status: spec.status ?? 'CONFIRMED',
      enabled: spec.enabled ?? true,
      mfa,
      preferredMfa: spec.preferredMfa,
      totpSecret: spec.totpSecret ?? (mfa.includes('SOFTWARE_TOKEN_MFA') ? createTotpSecret() : undefined),
      requireMfaSetup: spec.requireMfaSetup ?? false,
      revokedOrigins: new Set(),
      issuedOrigins: new Set(),
    };
    this.users.set(user.username, user);
    return user;
  }

  /** The user signing in as `name`: by user name, else by e-mail (an alias). */
  find(name: string): TestUser | undefined {
    const direct = this.users.get(name);
    if (direct) return direct;
    for (const user of this.users.values()) if (user.email !== null && user.email === name) return user;
    return undefined;
  }

  /** Deletes a user; true when there was one. */
  delete(username: string): boolean {
    return this.users.delete(username);
  }

  /** The SRP verifier of the user's current password (made again when the password changed). */
  verifier(user: TestUser): SrpVerifier {
    const known = this.verifiers.get(user.username);
    if (known && known.password === user.password) return known.verifier;
    const verifier = createVerifier(this.poolName, user.username, user.password);
    this.verifiers.set(user.username, { password: user.password, verifier });
    return verifier;
  }

  /** Sends a new code of `kind` to the user (the previous one stops working) and returns it. */
  issueCode(user: TestUser, kind: TestCodeKind): string {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    this.codes.set(`${kind}\0${user.username}`, { code, expiresAtMs: this.now() + CODE_TTL_MS[kind] });
    return code;
  }

  /** The last code of `kind` sent to `username` (still unused), for the test to type in. */
  lastCode(username: string, kind: TestCodeKind): string | undefined {
    return this.codes.get(`${kind}\0${username}`)?.code;
  }

  /** Makes every outstanding code (of one user, or all) expired. */
  expireCodes(username?: string): void {
    for (const [key, stored] of this.codes) {
      if (username === undefined || key.endsWith(`\0${username}`)) this.codes.set(key, { ...stored, expiresAtMs: this.now() - 1 });
    }
  }

  /** Checks and uses up a code: `ok`, `mismatch` (none or another) or `expired` (out of time, or used already). */
  useCode(user: TestUser, kind: TestCodeKind, given: string): 'ok' | 'mismatch' | 'expired' {
    const key = `${kind}\0${user.username}`;
    const stored = this.codes.get(key);
    if (!stored || stored.code !== given) return 'mismatch';
    if (stored.used || stored.expiresAtMs <= this.now()) return 'expired';
    this.codes.set(key, { ...stored, used: true });
    return 'ok';
  }

  /** Every user. */
  all(): TestUser[] {
    return [...this.users.values()];
  }
}

/** Masks a destination as Cognito shows it: `a***@e***` or `+*******0100`. */
export function maskDestination(value: string): string {
  const at = value.indexOf('@');
  if (at > 0) return `${value[0]}***@${value[at + 1] ?? ''}***`;
  return `+${'*'.repeat(Math.max(0, value.length - 5))}${value.slice(-4)}`;
}
