/** A user of the pool, as `CognitoAdminService` returns it. */
export interface CognitoAdminUser {
  /** Cognito's user name (the `sub` itself in pools that sign in by e-mail). */
  readonly username: string;
  /** The `sub` attribute; absent only when `attributes` were limited and left it out. */
  readonly sub: string | undefined;
  /** False after `disableUser()`: Cognito refuses the user's sign-ins and refreshes. */
  readonly enabled: boolean;
  /**
   * Cognito's `UserStatus`: `UNCONFIRMED`, `CONFIRMED`, `FORCE_CHANGE_PASSWORD`, `RESET_REQUIRED`,
   * `EXTERNAL_PROVIDER`, `ARCHIVED`, `COMPROMISED` or `UNKNOWN`.
   */
  readonly status: string;
  /** Every attribute by its Cognito name (`email`, `email_verified`, `custom:team`...), as strings. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly createdAt: Date | undefined;
  readonly lastModifiedAt: Date | undefined;
  /** The MFA methods the user has set up (`SMS_MFA`, `SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`); `getUser()` only. */
  readonly mfa?: readonly string[];
  /** The user's preferred MFA method, when set; `getUser()` only. */
  readonly preferredMfa?: string;
}

/** A group of the pool. */
export interface CognitoAdminGroup {
  readonly name: string;
  readonly description: string | undefined;
  /** Lower wins when a user is in several groups with IAM roles. */
  readonly precedence: number | undefined;
  readonly roleArn: string | undefined;
  readonly createdAt: Date | undefined;
  readonly lastModifiedAt: Date | undefined;
}

/**
 * The attributes `ListUsers` can search, and only one at a time (custom attributes are not
 * searchable). `status` is `Enabled` / `Disabled`; `cognito:user_status` is the user status.
 */
export type CognitoUserFilterAttribute =
  | 'username'
  | 'email'
  | 'phone_number'
  | 'name'
  | 'given_name'
  | 'family_name'
  | 'preferred_username'
  | 'cognito:user_status'
  | 'status'
  | 'sub';

/** A `ListUsers` search built safely (the value is quoted and escaped here). */
export interface CognitoUserFilter {
  readonly attribute: CognitoUserFilterAttribute;
  readonly value: string;
  /** `exact` (`=`, the default) or `prefix` (`^=`). */
  readonly match?: 'exact' | 'prefix';
}

/** Options of `listUsers()`. */
export interface ListUsersOptions {
  /**
   * Which users: a {@link CognitoUserFilter}, or Cognito's own filter string
   * (`email ^= "ali"`; quotes inside the value escaped with a backslash). Default all users.
   */
  readonly filter?: CognitoUserFilter | string;
  /** Users per page (per `ListUsers` call), 1 to 60. Default 60, Cognito's maximum. */
  readonly pageSize?: number;
  /** Only these attributes in each user (`AttributesToGet`). Default all. */
  readonly attributes?: readonly string[];
}

/** What `createUser()` needs. */
export interface CreateUserInput {
  readonly username: string;
  /** Attributes by Cognito name, e.g. `{ email: 'a@example.com', email_verified: 'true', 'custom:team': 'x' }`. */
  readonly attributes?: Readonly<Record<string, string>>;
  /**
   * The password of the first sign-in, which then answers `NEW_PASSWORD_REQUIRED`. Default:
   * Cognito generates one and sends it in the invitation.
   */
  readonly temporaryPassword?: string;
  /** Send no invitation (`MessageAction: SUPPRESS`). Default false. */
  readonly suppressMessage?: boolean;
  /** How to send the invitation: `EMAIL`, `SMS` or both. Default Cognito's (`SMS`). */
  readonly deliveryMediums?: readonly ('EMAIL' | 'SMS')[];
}
