import { CognitoError } from '../cognito-api.handler.js';
import type { TestFlowMode } from '../flows/flows-context.js';
import type { Json } from '../flows/flows-wire.js';
import type { TestFlows } from '../flows/test-flows.js';
import type { TestUser } from '../flows/test-users.js';
import * as admin from './admin.operations.js';
import type { AdminContext } from './admin.operations.js';
import type { TestGroup } from './admin-wire.js';

/** What the admin operations need from the identity provider. */
export interface TestAdminHooks {
  /** Revokes every refresh token of `sub`. */
  revokeRefreshTokensOf(sub: string): void;
  delay(ms: number): Promise<void>;
}

/** Switches of the admin operations (mutable), like `flows.controls`: `throttle`, `limit-exceeded`, `error`, `hang`. */
export interface TestAdminControls {
  mode: TestFlowMode;
  /** Milliseconds to wait before answering. Default 0. */
  delayMs: number;
}

/** Details of a group made with {@link TestAdmin.createGroup}. */
export interface TestGroupSpec {
  readonly description?: string;
  readonly precedence?: number;
  readonly roleArn?: string;
}

type Operation = (ctx: AdminContext, params: Json) => Json;

const OPERATIONS: Readonly<Record<string, Operation>> = {
  AdminGetUser: admin.adminGetUser,
  ListUsers: admin.listUsers,
  AdminCreateUser: admin.adminCreateUser,
  AdminUpdateUserAttributes: admin.adminUpdateUserAttributes,
  AdminSetUserPassword: admin.adminSetUserPassword,
  AdminDisableUser: admin.adminDisableUser,
  AdminEnableUser: admin.adminEnableUser,
  AdminDeleteUser: admin.adminDeleteUser,
  AdminAddUserToGroup: admin.adminAddUserToGroup,
  AdminRemoveUserFromGroup: admin.adminRemoveUserFromGroup,
  AdminListGroupsForUser: admin.adminListGroupsForUser,
  AdminUserGlobalSignOut: admin.adminUserGlobalSignOut,
  CreateGroup: admin.createGroup,
};

/**
 * The admin operations of the test identity provider (`idp.admin`), on the users of `idp.flows`:
 * `AdminGetUser`, `ListUsers` (sorted by user name, `Limit`, `PaginationToken`, `Filter`,
 * `AttributesToGet`), `AdminCreateUser` (its temporary password in {@link lastTemporaryPassword}),
 * `AdminUpdateUserAttributes`, `AdminSetUserPassword`, `AdminDisableUser` / `AdminEnableUser` (a disabled user cannot sign
 * in), `AdminDeleteUser`, `AdminAddUserToGroup` / `AdminRemoveUserFromGroup` /
 * `AdminListGroupsForUser` (a group exists once created, or once a user is in it), `CreateGroup`
 * and `AdminUserGlobalSignOut`. Requests are not checked for an AWS signature.
 */
export class TestAdmin {
  /** Fault switches of the admin operations. */
  readonly controls: TestAdminControls = { mode: 'ok', delayMs: 0 };
  /** Calls per operation (`AdminGetUser`, `ListUsers`...). */
  readonly calls: Record<string, number> = {};
  private readonly groups = new Map<string, TestGroup>();
  private readonly dates = new WeakMap<TestUser, { created: number; modified: number }>();
  private readonly temporaryPasswords = new Map<string, string>();
  private readonly ctx: AdminContext;

  constructor(
    private readonly flows: TestFlows,
    private readonly hooks: TestAdminHooks,
  ) {
    const now = (): number => flows.controls.now();
    this.ctx = {
      flows,
      allUsers: () => this.users(),
      group: (name) => this.group(name),
      createGroup: (name, details) =>
        this.createGroup(name, {
          ...(typeof details['Description'] === 'string' ? { description: details['Description'] } : {}),
          ...(typeof details['Precedence'] === 'number' ? { precedence: details['Precedence'] } : {}),
          ...(typeof details['RoleArn'] === 'string' ? { roleArn: details['RoleArn'] } : {}),
        }),
      datesOf: (user) => this.datesOf(user),
      touch: (user) => void (this.datesOf(user).modified = now()),
      rememberTemporaryPassword: (username, password) => void this.temporaryPasswords.set(username, password),
      signOut: (user) => this.signOut(user),
      revokeRefreshTokensOf: (sub) => hooks.revokeRefreshTokensOf(sub),
    };
  }

  /** Creates (or updates) a group. */
  createGroup(name: string, spec: TestGroupSpec = {}): TestGroup {
    const now = this.flows.controls.now();
    const group: TestGroup = { name, ...spec, createdAtMs: this.groups.get(name)?.createdAtMs ?? now, lastModifiedAtMs: now };
    this.groups.set(name, group);
    return group;
  }

  /** The temporary password `AdminCreateUser` gave `username` (generated when the request had none). */
  lastTemporaryPassword(username: string): string | undefined {
    return this.temporaryPasswords.get(username);
  }

  /** Sets every counter of {@link calls} to 0. */
  resetCalls(): void {
    for (const name of Object.keys(this.calls)) this.calls[name] = 0;
  }

  /**
   * Runs an admin operation; `undefined` (synchronously) when the operation is not one of them,
   * so the caller answers it.
   */
  operation(name: string, params: Json): Promise<Json | undefined> | undefined {
    const run = Object.prototype.hasOwnProperty.call(OPERATIONS, name) ? OPERATIONS[name] : undefined;
    return run ? this.run(name, run, params) : undefined;
  }

  private async run(name: string, operation: Operation, params: Json): Promise<Json | undefined> {
    this.calls[name] = (this.calls[name] ?? 0) + 1;
    if (this.controls.delayMs > 0) await this.hooks.delay(this.controls.delayMs);
    switch (this.controls.mode) {
      case 'hang':
        return undefined;
      case 'throttle':
        throw new CognitoError('TooManyRequestsException', 'Rate exceeded');
      case 'limit-exceeded':
        throw new CognitoError('LimitExceededException', 'Attempt limit exceeded, please try after some time.');
      case 'error':
        throw new CognitoError('InternalErrorException', 'Internal server error', 500);
      default:
        return operation(this.ctx, params);
    }
  }

  private group(name: string): TestGroup | undefined {
    const known = this.groups.get(name);
    if (known) return known;
    // A group a user was given with `flows.addUser({ groups })` exists too.
    return this.users().some((u) => u.groups.includes(name)) ? this.createGroup(name) : undefined;
  }

  private datesOf(user: TestUser): { created: number; modified: number } {
    let dates = this.dates.get(user);
    if (!dates) {
      const now = this.flows.controls.now();
      dates = { created: now, modified: now };
      this.dates.set(user, dates);
    }
    return dates;
  }

  private signOut(user: TestUser): void {
    user.signedOutAtMs = Date.now();
    for (const origin of user.issuedOrigins) user.revokedOrigins.add(origin);
    this.hooks.revokeRefreshTokensOf(user.sub);
  }

  /** Every user of `flows`. */
  private users(): TestUser[] {
    return this.flows.allUsers();
  }
}
