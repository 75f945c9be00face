import { randomInt } from 'node:crypto';
import { CognitoError } from '../cognito-api.handler.js';
import { type Json, invalidParameter, str } from '../flows/flows-wire.js';
import { policyViolation } from '../flows/password-policy.js';
import type { TestFlows } from '../flows/test-flows.js';
import type { TestUser } from '../flows/test-users.js';
import {
  afterToken,
  attributeList,
  attributesOf,
  attributesParam,
  epochSeconds,
  groupNotFound,
  limitOf,
  page,
  type TestGroup,
  userNotFound,
} from './admin-wire.js';
import { userFilter } from './user-filter.js';

/** What the admin operations share. */
export interface AdminContext {
  readonly flows: TestFlows;
  /** Every user of the pool. */
  allUsers(): TestUser[];
  /** A group created with `CreateGroup` / `idp.admin.createGroup()`, or one a user is in. */
  group(name: string): TestGroup | undefined;
  createGroup(name: string, details: Json): TestGroup;
  /** Creation and last change of a user, epoch ms. */
  datesOf(user: TestUser): { created: number; modified: number };
  touch(user: TestUser): void;
  /** The temporary password of an `AdminCreateUser`, for the test. */
  rememberTemporaryPassword(username: string, password: string): void;
  /** Signs the user out everywhere: refresh tokens revoked, access tokens refused. */
  signOut(user: TestUser): void;
  /** Revokes every refresh token of `sub`. */
  revokeRefreshTokensOf(sub: string): void;
}

/** The user of an admin operation (by user name or e-mail alias), or `UserNotFoundException`. */
function userOf(ctx: AdminContext, params: Json): TestUser {
  return ctx.flows.user(str(params, 'Username')) ?? userNotFound();
}

function userJson(ctx: AdminContext, user: TestUser, only?: readonly string[]): Json {
  const dates = ctx.datesOf(user);
  return {
    Username: user.username,
    Attributes: attributeList(attributesOf(user), only),
    UserCreateDate: epochSeconds(dates.created),
    UserLastModifiedDate: epochSeconds(dates.modified),
    Enabled: user.enabled,
    UserStatus: user.status,
  };
}

/** `AdminGetUser`. */
export function adminGetUser(ctx: AdminContext, params: Json): Json {
  const user = userOf(ctx, params);
  const { Attributes, ...rest } = userJson(ctx, user);
  return {
    ...rest,
    UserAttributes: Attributes,
    UserMFASettingList: [...user.mfa],
    ...(user.preferredMfa ? { PreferredMfaSetting: user.preferredMfa } : {}),
  };
}

/** `ListUsers`, sorted by user name, `Limit` per page, `Filter`, `AttributesToGet`. */
export function listUsers(ctx: AdminContext, params: Json): Json {
  const matches = userFilter(typeof params['Filter'] === 'string' ? params['Filter'] : '');
  const only = Array.isArray(params['AttributesToGet'])
    ? (params['AttributesToGet'] as unknown[]).filter((n) => typeof n === 'string')
    : undefined;
  const users = ctx.allUsers().filter(matches);
  const { items, next } = page(users, (u) => u.username, afterToken(params, 'PaginationToken'), limitOf(params));
  return { Users: items.map((u) => userJson(ctx, u, only)), ...(next ? { PaginationToken: next } : {}) };
}

/** `AdminCreateUser`: a user in `FORCE_CHANGE_PASSWORD` with a temporary password (`idp.admin.lastTemporaryPassword`). */
export function adminCreateUser(ctx: AdminContext, params: Json): Json {
  const username = str(params, 'Username');
  if (ctx.flows.user(username)) throw new CognitoError('UsernameExistsException', 'User account already exists');
  const attributes = attributesParam(params);
  const given = params['TemporaryPassword'];
  if (given !== undefined && typeof given !== 'string') invalidParameter('TemporaryPassword must be a string');
  const violation = given === undefined ? undefined : policyViolation(ctx.flows.controls.passwordPolicy, given);
  if (violation) throw new CognitoError('InvalidPasswordException', violation);
  const password = given ?? temporaryPassword();
  const { email, email_verified: emailVerified, phone_number: phoneNumber, sub: _sub, ...rest } = attributes;
  if (email !== undefined && !/^[^@\s]+@[^@\s]+$/.test(email)) invalidParameter('Invalid email address format.');
  if (params['MessageAction'] !== 'SUPPRESS') checkDelivery(params, email, phoneNumber);
  const user = ctx.flows.addUser({
    username,
    password,
    email: email ?? null,
    phoneNumber,
    attributes: rest,
    status: 'FORCE_CHANGE_PASSWORD',
  });
  user.emailVerified = email !== undefined && emailVerified === 'true';
  ctx.touch(user);
  ctx.rememberTemporaryPassword(username, password);
  return { User: userJson(ctx, user) };
}

/** Cognito sends the invitation by the first medium asked for (default SMS) the user can receive. */
function checkDelivery(params: Json, email: string | undefined, phone: string | undefined): void {
  const mediums = Array.isArray(params['DesiredDeliveryMediums']) ? (params['DesiredDeliveryMediums'] as unknown[]) : ['SMS'];
  if ((mediums.includes('SMS') && phone) || (mediums.includes('EMAIL') && email)) return;
  invalidParameter('User has no attribute matching desired delivery mediums');
}

/** A password meeting Cognito's default policy. */
function temporaryPassword(): string {
  return `Tmp-${String(randomInt(0, 1e9)).padStart(9, '0')}a!`;
}

/** `AdminUpdateUserAttributes`: a new e-mail is unverified unless `email_verified` comes with it. */
export function adminUpdateUserAttributes(ctx: AdminContext, params: Json): Json {
  const user = userOf(ctx, params);
  const { email, email_verified: emailVerified, phone_number: phoneNumber, sub, ...rest } = attributesParam(params);
  if (sub !== undefined) invalidParameter('Cannot modify an immutable attribute: sub');
  if (email !== undefined) {
    user.email = email === '' ? null : email;
    user.emailVerified = false;
  }
  if (emailVerified !== undefined) user.emailVerified = emailVerified === 'true' && user.email !== null;
  if (phoneNumber !== undefined) user.phoneNumber = phoneNumber === '' ? undefined : phoneNumber;
  Object.assign(user.attributes, rest);
  ctx.touch(user);
  return {};
}

/** `AdminSetUserPassword`: `Permanent` confirms the user, else the next sign-in asks for a new password. */
export function adminSetUserPassword(ctx: AdminContext, params: Json): Json {
  const user = userOf(ctx, params);
  const password = str(params, 'Password');
  const violation = policyViolation(ctx.flows.controls.passwordPolicy, password);
  if (violation) throw new CognitoError('InvalidPasswordException', violation);
  user.password = password;
  user.status = params['Permanent'] === true ? 'CONFIRMED' : 'FORCE_CHANGE_PASSWORD';
  ctx.touch(user);
  return {};
}

/** `AdminDisableUser`: sign-ins are refused. */
export function adminDisableUser(ctx: AdminContext, params: Json): Json {
  const user = userOf(ctx, params);
  user.enabled = false;
  ctx.touch(user);
  return {};
}

/** `AdminEnableUser`. */
export function adminEnableUser(ctx: AdminContext, params: Json): Json {
  const user = userOf(ctx, params);
  user.enabled = true;
  ctx.touch(user);
  return {};
}

/** `AdminDeleteUser`: the user and their refresh tokens are gone. */
export function adminDeleteUser(ctx: AdminContext, params: Json): Json {
  const user = userOf(ctx, params);
  ctx.flows.deleteUser(user.username);
  ctx.revokeRefreshTokensOf(user.sub);
  return {};
}

/** The group and user of a membership change: a missing group first, as Cognito checks it first. */
function membership(ctx: AdminContext, params: Json): { group: TestGroup; user: TestUser } {
  const group = ctx.group(str(params, 'GroupName')) ?? groupNotFound();
  return { group, user: userOf(ctx, params) };
}

/** `AdminAddUserToGroup` (adding twice is fine). */
export function adminAddUserToGroup(ctx: AdminContext, params: Json): Json {
  const { group, user } = membership(ctx, params);
  if (!user.groups.includes(group.name)) user.groups.push(group.name);
  return {};
}

/** `AdminRemoveUserFromGroup`. */
export function adminRemoveUserFromGroup(ctx: AdminContext, params: Json): Json {
  const { group, user } = membership(ctx, params);
  user.groups = user.groups.filter((name) => name !== group.name);
  return {};
}

/** `AdminListGroupsForUser`, sorted by name, `Limit` per page. */
export function adminListGroupsForUser(ctx: AdminContext, params: Json): Json {
  const user = userOf(ctx, params);
  const groups = user.groups.map((name) => ctx.group(name)).filter((g): g is TestGroup => g !== undefined);
  const { items, next } = page(groups, (g) => g.name, afterToken(params, 'NextToken'), limitOf(params));
  const poolId = str(params, 'UserPoolId');
  return { Groups: items.map((g) => groupJson(g, poolId)), ...(next ? { NextToken: next } : {}) };
}

function groupJson(group: TestGroup, poolId: string): Json {
  return {
    GroupName: group.name,
    UserPoolId: poolId,
    ...(group.description !== undefined ? { Description: group.description } : {}),
    ...(group.precedence !== undefined ? { Precedence: group.precedence } : {}),
    ...(group.roleArn !== undefined ? { RoleArn: group.roleArn } : {}),
    CreationDate: epochSeconds(group.createdAtMs),
    LastModifiedDate: epochSeconds(group.lastModifiedAtMs),
  };
}

/** `AdminUserGlobalSignOut`: the user's refresh tokens revoked, their access tokens refused here. */
export function adminUserGlobalSignOut(ctx: AdminContext, params: Json): Json {
  ctx.signOut(userOf(ctx, params));
  return {};
}

/** `CreateGroup`. */
export function createGroup(ctx: AdminContext, params: Json): Json {
  const name = str(params, 'GroupName');
  if (ctx.group(name)) throw new CognitoError('GroupExistsException', 'A group with the name already exists.');
  return { Group: groupJson(ctx.createGroup(name, params), str(params, 'UserPoolId')) };
}
