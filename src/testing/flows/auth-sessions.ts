import { randomBytes } from 'node:crypto';
import type { SrpServerSession } from './srp-server.js';
import { notAuthorized } from './flows-wire.js';
import type { TestMfaMethod } from './test-users.js';

/** The steps of a sign-in the test identity provider plays. */
export type TestChallengeName = 'PASSWORD_VERIFIER' | 'NEW_PASSWORD_REQUIRED' | 'MFA_SETUP' | 'SELECT_MFA_TYPE' | TestMfaMethod;

/** One sign-in in progress. */
export interface AuthSession {
  /** The internal user name. */
  readonly username: string;
  readonly clientId: string;
  /** The challenge this session answers. */
  stage: TestChallengeName;
  /** The SRP server values (PASSWORD_VERIFIER). */
  srp?: SrpServerSession;
  /** Whether the MFA step (or the MFA set-up) is done. */
  mfaPassed: boolean;
  /** The method chosen with SELECT_MFA_TYPE. */
  selected?: TestMfaMethod;
  /** MFA_SETUP: the secret handed out by `AssociateSoftwareToken`, and whether a code for it was verified. */
  pendingTotp?: string;
  totpVerified?: boolean;
}

/** Cognito's default session validity: 3 minutes. */
export const SESSION_TTL_MS = 180_000;

interface Entry {
  readonly session: AuthSession;
  readonly expiresAtMs: number;
}

/**
 * Sign-in sessions by their opaque value. Each step hands out a new value and retires the old one
 * (a retired value answers "can only be used once"); an expired one "is expired".
 */
export class AuthSessions {
  private readonly live = new Map<string, Entry>();
  private readonly retired = new Set<string>();
  private readonly bySecretBlock = new Map<string, string>();

  constructor(private readonly now: () => number) {}

  /** Stores a session under a new value and returns it; `secretBlock` indexes an SRP session. */
  open(session: AuthSession, secretBlock?: string): string {
    const token = randomBytes(96).toString('base64');
    this.live.set(token, { session, expiresAtMs: this.now() + SESSION_TTL_MS });
    if (secretBlock) this.bySecretBlock.set(secretBlock, token);
    return token;
  }

  /** The session of `token` for `clientId`, or `NotAuthorizedException` as Cognito words it. */
  get(token: string | undefined, clientId: string): AuthSession {
    if (token !== undefined && this.retired.has(token)) notAuthorized('Invalid session for the user, session can only be used once.');
    const entry = token !== undefined ? this.live.get(token) : undefined;
    if (!entry || entry.session.clientId !== clientId) notAuthorized('Invalid session for the user.');
    if (entry.expiresAtMs <= this.now()) notAuthorized('Invalid session for the user, session is expired.');
    return entry.session;
  }

  /** The session value of an SRP secret block. */
  tokenOfSecretBlock(secretBlock: string): string | undefined {
    return this.bySecretBlock.get(secretBlock);
  }

  /** Retires a value: using it again is refused. */
  retire(token: string): void {
    this.live.delete(token);
    this.retired.add(token);
    for (const [block, t] of this.bySecretBlock) if (t === token) this.bySecretBlock.delete(block);
  }

  /** Moves a session to a new value (the old one is retired). */
  renew(token: string): string {
    const entry = this.live.get(token);
    if (!entry) notAuthorized('Invalid session for the user.');
    this.retire(token);
    return this.open(entry.session);
  }
}
