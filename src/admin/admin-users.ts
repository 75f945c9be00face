import type { AdminGetUserCommandOutput, AttributeType, GroupType, UserType } from '@aws-sdk/client-cognito-identity-provider';
import type { CognitoIdTokenClaims } from '../tokens/token.types.js';
import type { CognitoAdminGroup, CognitoAdminUser } from './admin.types.js';

/** Attributes Cognito puts into ID tokens as booleans rather than strings. */
const BOOLEAN_CLAIMS = new Set(['email_verified', 'phone_number_verified']);

/** Cognito's attribute list as an object by name. */
export function attributeMap(list: readonly AttributeType[] | undefined): Record<string, string> {
  // Object.fromEntries defines own properties: a `__proto__` name stays a plain key.
  return Object.fromEntries((list ?? []).filter((a) => typeof a.Name === 'string').map((a) => [a.Name as string, a.Value ?? '']));
}

/** A user of `ListUsers` / `AdminCreateUser`. */
export function adminUserOf(user: UserType): CognitoAdminUser {
  const attributes = attributeMap(user.Attributes);
  return {
    username: user.Username ?? '',
    sub: attributes['sub'],
    enabled: user.Enabled !== false,
    status: user.UserStatus ?? 'UNKNOWN',
    attributes,
    createdAt: user.UserCreateDate,
    lastModifiedAt: user.UserLastModifiedDate,
  };
}

/** The user of `AdminGetUser`, with its MFA settings. */
export function adminUserOfGet(out: AdminGetUserCommandOutput): CognitoAdminUser {
  const base = adminUserOf({
    Username: out.Username,
    Attributes: out.UserAttributes,
    Enabled: out.Enabled,
    UserStatus: out.UserStatus,
    UserCreateDate: out.UserCreateDate,
    UserLastModifiedDate: out.UserLastModifiedDate,
  });
  return {
    ...base,
    mfa: [...(out.UserMFASettingList ?? [])],
    ...(out.PreferredMfaSetting ? { preferredMfa: out.PreferredMfaSetting } : {}),
  };
}

/** A group of `AdminListGroupsForUser`. */
export function adminGroupOf(group: GroupType): CognitoAdminGroup {
  return {
    name: group.GroupName ?? '',
    description: group.Description,
    precedence: group.Precedence,
    roleArn: group.RoleArn,
    createdAt: group.CreationDate,
    lastModifiedAt: group.LastModifiedDate,
  };
}

/** Where the claims of a re-sync say they come from. */
export interface SyncClaimsSource {
  readonly issuer: string;
  readonly clientId: string;
  /** Epoch seconds. */
  readonly now: number;
}

/**
 * The user's attributes shaped as the claims of a verified ID token, for user sync: every
 * attribute as Cognito puts it into ID tokens (`email_verified` and `phone_number_verified` as
 * booleans), `cognito:username` the user name. User sync then treats them as it treats a sign-in's
 * claims: an e-mail or phone number counts only when its `*_verified` attribute is true.
 */
export function idClaimsOf(user: CognitoAdminUser & { sub: string }, source: SyncClaimsSource): CognitoIdTokenClaims {
  const claims: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(user.attributes)) claims[name] = BOOLEAN_CLAIMS.has(name) ? value === 'true' : value;
  return {
    ...claims,
    sub: user.sub,
    iss: source.issuer,
    aud: source.clientId,
    token_use: 'id',
    'cognito:username': user.username,
    iat: source.now,
    exp: source.now + 60,
  };
}
