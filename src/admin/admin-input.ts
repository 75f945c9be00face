import type { AdminCreateUserCommandInput, ListUsersCommandInput } from '@aws-sdk/client-cognito-identity-provider';
import { AdminInvalidParameterError } from '../errors/admin.errors.js';
import type { CognitoUserFilter, CognitoUserFilterAttribute, CreateUserInput, ListUsersOptions } from './admin.types.js';

/** Cognito's most users per `ListUsers` call (and groups per `AdminListGroupsForUser` call). */
export const MAX_PAGE_SIZE = 60;

/** Cognito's user and group names: 1 to 128 characters, no white space or control characters. */
const NAME = /^[^\s\p{Cc}]{1,128}$/u;
/** Attribute names: up to 32 characters (`custom:` included), no white space. */
const ATTRIBUTE_NAME = /^[^\s\p{Cc}]{1,32}$/u;
const MAX_ATTRIBUTE_VALUE = 2048;
const FILTER_ATTRIBUTES: ReadonlySet<CognitoUserFilterAttribute> = new Set<CognitoUserFilterAttribute>([
  'username',
  'email',
  'phone_number',
  'name',
  'given_name',
  'family_name',
  'preferred_username',
  'cognito:user_status',
  'status',
  'sub',
]);

/** A user name as Cognito accepts it, or 400 `invalid_parameter`. */
export function userName(value: unknown): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new AdminInvalidParameterError('username must be 1 to 128 characters without white space');
  }
  return value;
}

/** A group name as Cognito accepts it, or 400 `invalid_parameter`. */
export function groupName(value: unknown): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new AdminInvalidParameterError('group must be 1 to 128 characters without white space');
  }
  return value;
}

/** Attributes as Cognito's `AttributeType` list, or 400 `invalid_parameter`. */
export function attributeList(attributes: unknown): { Name: string; Value: string }[] {
  if (attributes === undefined) return [];
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) {
    throw new AdminInvalidParameterError('attributes must be an object of attribute names to strings');
  }
  return Object.entries(attributes).map(([Name, Value]) => {
    if (!ATTRIBUTE_NAME.test(Name))
      throw new AdminInvalidParameterError('An attribute name is not valid (1 to 32 characters, no white space)');
    if (typeof Value !== 'string' || Value.length > MAX_ATTRIBUTE_VALUE) {
      throw new AdminInvalidParameterError(`Attribute ${Name} must be a string of at most ${MAX_ATTRIBUTE_VALUE} characters`);
    }
    return { Name, Value };
  });
}

/** `ListUsers`' parameters for the options (the paging token is added per call). */
export function listUsersRequest(userPoolId: string, options: ListUsersOptions): ListUsersCommandInput {
  const pageSize = options.pageSize ?? MAX_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new AdminInvalidParameterError(`pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  }
  const filter = options.filter === undefined ? undefined : filterString(options.filter);
  const attributes = options.attributes === undefined ? undefined : [...options.attributes];
  if (attributes?.some((name) => typeof name !== 'string' || !ATTRIBUTE_NAME.test(name))) {
    throw new AdminInvalidParameterError('attributes must be attribute names');
  }
  return {
    UserPoolId: userPoolId,
    Limit: pageSize,
    ...(filter !== undefined ? { Filter: filter } : {}),
    ...(attributes !== undefined ? { AttributesToGet: attributes } : {}),
  };
}

/**
 * Cognito's filter string: `attribute = "value"` or `attribute ^= "value"`, with backslashes and
 * quotes in the value escaped, so a value taken from a request cannot change the search.
 */
export function filterString(filter: CognitoUserFilter | string): string {
  if (typeof filter === 'string') {
    if (filter.length > 256) throw new AdminInvalidParameterError('filter must be at most 256 characters');
    return filter;
  }
  if (typeof filter !== 'object' || filter === null || !FILTER_ATTRIBUTES.has(filter.attribute)) {
    throw new AdminInvalidParameterError(`filter.attribute must be one of ${[...FILTER_ATTRIBUTES].join(', ')}`);
  }
  if (typeof filter.value !== 'string') throw new AdminInvalidParameterError('filter.value must be a string');
  const operator = filter.match === 'prefix' ? '^=' : '=';
  const value = filter.value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return `${filter.attribute} ${operator} "${value}"`;
}

/** `AdminCreateUser`'s parameters, or 400 `invalid_parameter`. */
export function createUserRequest(userPoolId: string, input: CreateUserInput): AdminCreateUserCommandInput {
  if (typeof input !== 'object' || input === null) throw new AdminInvalidParameterError('createUser needs { username, attributes }');
  const password = input.temporaryPassword;
  if (password !== undefined && (typeof password !== 'string' || password === '' || password.length > 256)) {
    throw new AdminInvalidParameterError('temporaryPassword must be a string of 1 to 256 characters');
  }
  const mediums = input.deliveryMediums === undefined ? undefined : [...input.deliveryMediums];
  if (mediums?.some((m) => m !== 'EMAIL' && m !== 'SMS')) throw new AdminInvalidParameterError('deliveryMediums must be EMAIL or SMS');
  return {
    UserPoolId: userPoolId,
    Username: userName(input.username),
    UserAttributes: attributeList(input.attributes),
    ...(password !== undefined ? { TemporaryPassword: password } : {}),
    ...(input.suppressMessage === true ? { MessageAction: 'SUPPRESS' as const } : {}),
    ...(mediums !== undefined && mediums.length > 0 ? { DesiredDeliveryMediums: mediums } : {}),
  };
}
