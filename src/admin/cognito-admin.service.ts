import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminUserGlobalSignOutCommand,
  type CognitoIdentityProviderClient,
  ListUsersCommand,
  type ListUsersCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import type { ObjectLiteral } from 'typeorm';
import { COGNITO_AUTH_SETTINGS, COGNITO_CLOCK } from '../cognito-auth.constants.js';
import { AuthUnavailableError } from '../errors/cognito-auth.errors.js';
import { withDeadline } from '../tokens/cognito-errors.js';
import { InjectCognitoClient } from './cognito-client.provider.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { CognitoRevocationService } from '../shared-state/cognito-revocation.service.js';
import { UserSyncService } from '../users/user-sync.service.js';
import { type AdminOperation, toAdminError } from './admin-error.mapping.js';
import { createUserRequest, groupName, listUsersRequest, MAX_PAGE_SIZE, userName } from './admin-input.js';
import { adminGroupOf, adminUserOf, adminUserOfGet, idClaimsOf } from './admin-users.js';
import type { CognitoAdminGroup, CognitoAdminUser, CreateUserInput, ListUsersOptions } from './admin.types.js';

/**
 * Cognito's admin operations on the module's user pool (`userPoolId`), each with typed results and
 * typed errors, never a 500: a missing user 404 `user_not_found`, a missing group 404
 * `group_not_found`, a bad argument 400 `invalid_parameter`, a taken name 409 `username_exists`,
 * throttling 429 `limit_exceeded`, Cognito unreachable (or no usable IAM credentials) 503
 * `auth_unavailable`.
 *
 * The calls go through the module's SDK client (`@InjectCognitoClient()`), each bounded by the
 * Cognito timeout, SDK retries included. Unlike the sign-in flows they are signed: they need IAM
 * credentials from the SDK's default chain (environment, shared files and `AWS_PROFILE`, SSO,
 * container and instance roles) allowed the `cognito-idp:` actions named on each method.
 */
@Injectable()
export class CognitoAdminService {
  private readonly logger = new Logger(CognitoAdminService.name);

  /**
   * @param settings the module's settings (the pool, the timeout)
   * @param client the configured SDK client (`COGNITO_CLIENT`)
   * @param revocation where a global sign-out is recorded, so the user's tokens stop passing here at once
   * @param users user sync, for `resyncUser()`
   * @param clock milliseconds since the epoch; default `Date.now`
   */
  constructor(
    @Inject(COGNITO_AUTH_SETTINGS) private readonly settings: CognitoAuthSettings,
    @InjectCognitoClient() private readonly client: CognitoIdentityProviderClient,
    private readonly revocation: CognitoRevocationService,
    @Optional() private readonly users?: UserSyncService,
    @Optional() @Inject(COGNITO_CLOCK) private readonly clock: () => number = Date.now,
  ) {}

  /** The pool administered: the module's `userPoolId`. */
  get userPoolId(): string {
    return this.settings.userPoolId;
  }

  /**
   * A user with its attributes, status and MFA settings (`cognito-idp:AdminGetUser`).
   * @throws AdminUserNotFoundError 404
   */
  async getUser(username: string): Promise<CognitoAdminUser> {
    const Username = userName(username);
    const out = await this.call('getUser', (abortSignal) =>
      this.client.send(new AdminGetUserCommand({ UserPoolId: this.userPoolId, Username }), { abortSignal }),
    );
    return adminUserOfGet(out);
  }

  /**
   * The pool's users, page by page (`cognito-idp:ListUsers`, following `PaginationToken`): each
   * page is one Cognito call, made when the loop asks for it, so breaking out of the loop stops
   * the calls. Empty pages are skipped.
   *
   * ```ts
   * for await (const page of admin.listUsers({ filter: { attribute: 'email', value: 'ali', match: 'prefix' } })) {
   *   for (const user of page) console.log(user.username);
   * }
   * ```
   * @throws AdminInvalidParameterError 400 (a bad page size or filter: at once, before any call)
   */
  listUsers(options: ListUsersOptions = {}): AsyncGenerator<CognitoAdminUser[], void, undefined> {
    return this.userPages(listUsersRequest(this.userPoolId, options ?? {}));
  }

  /**
   * Creates a user (`cognito-idp:AdminCreateUser`) in status `FORCE_CHANGE_PASSWORD`: the first
   * sign-in with the temporary password answers `NEW_PASSWORD_REQUIRED`.
   * @throws UsernameExistsError 409, InvalidPasswordError 400, AdminInvalidParameterError 400
   */
  async createUser(input: CreateUserInput): Promise<CognitoAdminUser> {
    const request = createUserRequest(this.userPoolId, input);
    const secrets = request.TemporaryPassword ? [request.TemporaryPassword] : [];
    const out = await this.call(
      'createUser',
      (abortSignal) => this.client.send(new AdminCreateUserCommand(request), { abortSignal }),
      secrets,
    );
    if (!out.User) throw this.unavailable('Cognito created the user but returned no user');
    return adminUserOf(out.User);
  }

  /**
   * Disables a user (`cognito-idp:AdminDisableUser`): Cognito refuses their sign-ins and refreshes.
   * Tokens already issued stay valid until they expire: call {@link globalSignOut} too to end them here.
   * @throws AdminUserNotFoundError 404
   */
  async disableUser(username: string): Promise<void> {
    const Username = userName(username);
    await this.call('disableUser', (abortSignal) =>
      this.client.send(new AdminDisableUserCommand({ UserPoolId: this.userPoolId, Username }), { abortSignal }),
    );
  }

  /**
   * Enables a disabled user again (`cognito-idp:AdminEnableUser`).
   * @throws AdminUserNotFoundError 404
   */
  async enableUser(username: string): Promise<void> {
    const Username = userName(username);
    await this.call('enableUser', (abortSignal) =>
      this.client.send(new AdminEnableUserCommand({ UserPoolId: this.userPoolId, Username }), { abortSignal }),
    );
  }

  /**
   * Deletes a user from the pool (`cognito-idp:AdminDeleteUser`). The app's own user row is left
   * as it is: delete it yourself if you keep none for deleted accounts.
   * @throws AdminUserNotFoundError 404
   */
  async deleteUser(username: string): Promise<void> {
    const Username = userName(username);
    await this.call('deleteUser', (abortSignal) =>
      this.client.send(new AdminDeleteUserCommand({ UserPoolId: this.userPoolId, Username }), { abortSignal }),
    );
  }

  /**
   * Adds a user to a group (`cognito-idp:AdminAddUserToGroup`); tokens issued from then on carry it
   * in `cognito:groups`.
   * @throws AdminUserNotFoundError 404, AdminGroupNotFoundError 404
   */
  async addToGroup(username: string, group: string): Promise<void> {
    const Username = userName(username);
    const GroupName = groupName(group);
    await this.call('addToGroup', (abortSignal) =>
      this.client.send(new AdminAddUserToGroupCommand({ UserPoolId: this.userPoolId, Username, GroupName }), { abortSignal }),
    );
  }

  /**
   * Removes a user from a group (`cognito-idp:AdminRemoveUserFromGroup`). Tokens already issued
   * keep the group until they expire: call {@link globalSignOut} too to end them here at once.
   * @throws AdminUserNotFoundError 404, AdminGroupNotFoundError 404
   */
  async removeFromGroup(username: string, group: string): Promise<void> {
    const Username = userName(username);
    const GroupName = groupName(group);
    await this.call('removeFromGroup', (abortSignal) =>
      this.client.send(new AdminRemoveUserFromGroupCommand({ UserPoolId: this.userPoolId, Username, GroupName }), { abortSignal }),
    );
  }

  /**
   * Every group of a user (`cognito-idp:AdminListGroupsForUser`, all pages).
   * @throws AdminUserNotFoundError 404
   */
  async listGroups(username: string): Promise<CognitoAdminGroup[]> {
    const Username = userName(username);
    const groups: CognitoAdminGroup[] = [];
    const seen = new Set<string>();
    let NextToken: string | undefined;
    do {
      const token = NextToken;
      const out = await this.call('listGroups', (abortSignal) =>
        this.client.send(
          new AdminListGroupsForUserCommand({ UserPoolId: this.userPoolId, Username, Limit: MAX_PAGE_SIZE, NextToken: token }),
          { abortSignal },
        ),
      );
      groups.push(...(out.Groups ?? []).map(adminGroupOf));
      NextToken = this.nextToken(out.NextToken, seen);
    } while (NextToken);
    return groups;
  }

  /**
   * Signs a user out of every session: first every token of the user issued until now stops
   * passing here (`CognitoRevocationService.revokeUser(sub)`, shared with every instance), then
   * Cognito revokes the user's refresh tokens (`cognito-idp:AdminUserGlobalSignOut`, after
   * `cognito-idp:AdminGetUser` for the `sub`). When Cognito fails after the first step the local
   * revocation stands and the error says so (503): call again.
   * @throws AdminUserNotFoundError 404
   */
  async globalSignOut(username: string): Promise<void> {
    const user = await this.getUser(username);
    if (!user.sub) throw this.unavailable('Cognito returned a user without a sub');
    await this.revocation.revokeUser(user.sub);
    await this.call('globalSignOut', (abortSignal) =>
      this.client.send(new AdminUserGlobalSignOutCommand({ UserPoolId: this.userPoolId, Username: user.username }), { abortSignal }),
    );
  }

  /**
   * Writes the user's current Cognito attributes to the app's user row through user sync
   * (`cognito-idp:AdminGetUser`), as a sign-in would: found by the lookup field, created when
   * `autoCreate` is on, mapped fields updated when `updateOnLogin` is on, an e-mail (or phone
   * number) written only when Cognito marks it verified. Resolves to the row.
   * @throws AdminUserNotFoundError 404; UserNotRegisteredError 403 (no row and auto-create off);
   *   AuthUnavailableError 503 (user sync is off, or the database is down)
   */
  async resyncUser(username: string): Promise<ObjectLiteral> {
    const users = this.users;
    if (!users?.enabled) {
      this.logger.error('resyncUser() needs user sync: a TypeORM DataSource and a user entity (users.entity)');
      throw new AuthUnavailableError('User sync is not configured', this.settings.retryAfterSeconds);
    }
    const user = await this.getUser(username);
    const sub = user.sub;
    if (!sub) throw this.unavailable('Cognito returned a user without a sub');
    const source = {
      issuer: this.settings.issuers[0] ?? '',
      clientId: this.settings.clientIds[0] ?? '',
      now: Math.floor(this.clock() / 1000),
    };
    return users.resolveUser({ id: idClaimsOf({ ...user, sub }, source) });
  }

  private async *userPages(request: ListUsersCommandInput): AsyncGenerator<CognitoAdminUser[], void, undefined> {
    const seen = new Set<string>();
    let PaginationToken: string | undefined;
    do {
      const token = PaginationToken;
      const out = await this.call('listUsers', (abortSignal) =>
        this.client.send(new ListUsersCommand({ ...request, PaginationToken: token }), { abortSignal }),
      );
      PaginationToken = this.nextToken(out.PaginationToken, seen);
      const users = (out.Users ?? []).map(adminUserOf);
      if (users.length > 0) yield users;
    } while (PaginationToken);
  }

  /** The next page's token; one seen before would loop for ever (a broken endpoint): 503. */
  private nextToken(token: string | undefined, seen: Set<string>): string | undefined {
    if (!token) return undefined;
    if (seen.has(token)) throw this.unavailable('Cognito returned a paging token twice');
    seen.add(token);
    return token;
  }

  /** One call under the Cognito deadline (SDK retries included); a failure becomes a typed error. */
  private async call<T>(
    operation: AdminOperation,
    send: (abortSignal: AbortSignal) => Promise<T>,
    secrets: readonly string[] = [],
  ): Promise<T> {
    try {
      return await withDeadline(`admin ${operation}`, this.settings.cognitoTimeoutMs, send);
    } catch (err) {
      throw toAdminError(operation, err, { retryAfterSeconds: this.settings.retryAfterSeconds, logger: this.logger, secrets });
    }
  }

  private unavailable(reason: string): AuthUnavailableError {
    this.logger.error(reason);
    return new AuthUnavailableError('Cognito is temporarily unavailable', this.settings.retryAfterSeconds);
  }
}
