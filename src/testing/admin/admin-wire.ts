import { CognitoError } from '../cognito-api.handler.js';
import type { Json } from '../flows/flows-wire.js';
import type { TestUser } from '../flows/test-users.js';

/** A group of the test pool. */
export interface TestGroup {
  readonly name: string;
  description?: string;
  precedence?: number;
  roleArn?: string;
  readonly createdAtMs: number;
  lastModifiedAtMs: number;
}

/** Throws `UserNotFoundException` as Cognito's admin operations do. */
export function userNotFound(): never {
  throw new CognitoError('UserNotFoundException', 'User does not exist.');
}

/** Throws `ResourceNotFoundException` for a missing group, with Cognito's message. */
export function groupNotFound(): never {
  throw new CognitoError('ResourceNotFoundException', 'Group not found.');
}

/** A `Limit` parameter: 1 to 60, default 60. */
export function limitOf(params: Json): number {
  const limit = params['Limit'];
  if (limit === undefined || limit === null) return 60;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 60) {
    throw new CognitoError('InvalidParameterException', "1 validation error detected: Value at 'limit' failed to satisfy constraint");
  }
  return limit;
}

/** A paging token naming the last item of the previous page (the items are sorted by name). */
export function pageToken(lastName: string): string {
  return Buffer.from(`after:${lastName}`, 'utf8').toString('base64url');
}

/** The name a paging token continues after, or `InvalidParameterException`. */
export function afterToken(params: Json, name: 'PaginationToken' | 'NextToken'): string | undefined {
  const token = params[name];
  if (token === undefined || token === null) return undefined;
  const decoded = typeof token === 'string' ? Buffer.from(token, 'base64url').toString('utf8') : '';
  if (!decoded.startsWith('after:')) throw new CognitoError('InvalidParameterException', `Invalid ${name}.`);
  return decoded.slice('after:'.length);
}

/** One page of items sorted by `nameOf`, after the token's item. */
export function page<T>(
  items: readonly T[],
  nameOf: (item: T) => string,
  after: string | undefined,
  limit: number,
): { items: T[]; next?: string } {
  const sorted = [...items].sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0));
  const rest = after === undefined ? sorted : sorted.filter((item) => nameOf(item) > after);
  const items2 = rest.slice(0, limit);
  const last = items2[items2.length - 1];
  return rest.length > limit && last !== undefined ? { items: items2, next: pageToken(nameOf(last)) } : { items: items2 };
}

/** The user's attributes as Cognito lists them (`sub`, `email`, `email_verified`...). */
export function attributesOf(user: TestUser): Record<string, string> {
  return {
    sub: user.sub,
    ...(user.email !== null ? { email: user.email, email_verified: String(user.emailVerified) } : {}),
    ...(user.phoneNumber ? { phone_number: user.phoneNumber } : {}),
    ...user.attributes,
  };
}

/** `[{ Name, Value }]`, limited to `only` when given. */
export function attributeList(attributes: Record<string, string>, only?: readonly string[]): Json[] {
  return Object.entries(attributes)
    .filter(([name]) => only === undefined || only.includes(name))
    .map(([Name, Value]) => ({ Name, Value }));
}

/** A `UserAttributes` parameter as an object (later names win). */
export function attributesParam(params: Json, name = 'UserAttributes'): Record<string, string> {
  const out: Record<string, string> = {};
  const list = params[name];
  if (list === undefined || list === null) return out;
  if (!Array.isArray(list)) throw new CognitoError('InvalidParameterException', `${name} must be a list`);
  for (const attr of list as Json[]) {
    if (typeof attr?.['Name'] !== 'string' || (attr['Value'] !== undefined && typeof attr['Value'] !== 'string')) {
      throw new CognitoError('InvalidParameterException', `${name} must be a list of { Name, Value }`);
    }
    Object.defineProperty(out, attr['Name'], { value: attr['Value'] ?? '', enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Epoch seconds, as Cognito's JSON protocol sends timestamps. */
export function epochSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}
