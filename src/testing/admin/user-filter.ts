import { CognitoError } from '../cognito-api.handler.js';
import type { TestUser } from '../flows/test-users.js';
import { attributesOf } from './admin-wire.js';

/** `attribute = "value"` or `attribute ^= "value"` (quotes and backslashes in the value escaped). */
const FILTER = /^\s*([\w:]+)\s*(\^?=)\s*"((?:[^"\\]|\\.)*)"\s*$/;

/** The searchable attributes of `ListUsers`, and how each is read (`undefined`: the user has none). */
const SEARCHABLE: Readonly<Record<string, (user: TestUser) => string | undefined>> = {
  username: (u) => u.username,
  email: (u) => attributesOf(u)['email'],
  phone_number: (u) => u.phoneNumber,
  name: (u) => u.attributes['name'],
  given_name: (u) => u.attributes['given_name'],
  family_name: (u) => u.attributes['family_name'],
  preferred_username: (u) => u.attributes['preferred_username'],
  'cognito:user_status': (u) => u.status.toLowerCase(),
  status: (u) => (u.enabled ? 'Enabled' : 'Disabled'),
  sub: (u) => u.sub,
};

/**
 * A `ListUsers` filter as a predicate: one searchable attribute, exact (`=`) or prefix (`^=`);
 * `cognito:user_status` compares without case. An empty filter matches everyone; anything else is
 * `InvalidParameterException`, as at Cognito.
 */
export function userFilter(filter: string): (user: TestUser) => boolean {
  if (filter.trim() === '') return () => true;
  const match = FILTER.exec(filter);
  if (!match) throw new CognitoError('InvalidParameterException', 'Error while parsing filter.');
  const [, attribute = '', operator, raw = ''] = match;
  const read = Object.prototype.hasOwnProperty.call(SEARCHABLE, attribute) ? SEARCHABLE[attribute] : undefined;
  if (!read) throw new CognitoError('InvalidParameterException', `Invalid search attribute: ${attribute}`);
  const unescaped = raw.replace(/\\(.)/g, '$1');
  const value = attribute === 'cognito:user_status' ? unescaped.toLowerCase() : unescaped;
  return (user) => {
    const actual = read(user);
    if (actual === undefined) return false;
    return operator === '=' ? actual === value : actual.startsWith(value);
  };
}
