import { BadRequestException } from '@nestjs/common';
import { isForbiddenKey } from '../options/settings.reader.js';
import type { ChallengeInput, LoginInput, SignUpInput } from './flow.types.js';

/** Cognito's limits: user names up to 128 characters, passwords up to 256. */
const MAX_USERNAME = 128;
const MAX_PASSWORD = 256;
const MAX_ATTRIBUTES = 50;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_:.-]{1,64}$/;
/** Letters, marks, symbols, numbers and punctuation: no space or control character (Cognito's user name pattern). */
const USERNAME = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$/u;
const CODE = /^\S{1,64}$/;

type Body = Record<string, unknown>;

/** The body as an object, or a 400. */
export function objectBody(body: unknown): Body {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestException('The body must be a JSON object');
  }
  return body as Body;
}

/** A user name as Cognito accepts it, or a 400 (the value is never echoed). */
export function username(value: unknown, field = 'username'): string {
  if (typeof value !== 'string' || value === '') throw new BadRequestException(`${field} must be a non-empty string`);
  if (value.length > MAX_USERNAME || !USERNAME.test(value)) {
    throw new BadRequestException(`${field} must be at most ${MAX_USERNAME} characters with no spaces`);
  }
  return value;
}

/** A password of Cognito's length, or a 400. */
export function password(value: unknown, field = 'password'): string {
  if (typeof value !== 'string' || value === '') throw new BadRequestException(`${field} must be a non-empty string`);
  if (value.length > MAX_PASSWORD) throw new BadRequestException(`${field} must be at most ${MAX_PASSWORD} characters`);
  return value;
}

/** A confirmation or reset code, or a 400. */
export function code(value: unknown, field = 'code'): string {
  if (typeof value !== 'string' || !CODE.test(value)) throw new BadRequestException(`${field} must be the code as a string`);
  return value;
}

/** `{ username, password, srp? }`. */
export function loginInput(body: unknown): LoginInput {
  const b = objectBody(body);
  if (b['srp'] !== undefined && typeof b['srp'] !== 'boolean') throw new BadRequestException('srp must be true or false');
  return { username: username(b['username']), password: password(b['password']), srp: b['srp'] === true };
}

/** `{ session, challenge, answers }` (the answers are checked against the challenge later). */
export function challengeInput(body: unknown): ChallengeInput {
  const b = objectBody(body);
  if (typeof b['session'] !== 'string' || b['session'] === '')
    throw new BadRequestException('session must be the session of the challenge');
  if (typeof b['challenge'] !== 'string' || b['challenge'] === '')
    throw new BadRequestException('challenge must be the name of the challenge');
  const answers = b['answers'];
  if (typeof answers !== 'object' || answers === null || Array.isArray(answers)) {
    throw new BadRequestException('answers must be an object of strings');
  }
  return { session: b['session'], challenge: b['challenge'], answers: answers as Record<string, string> };
}

/** `{ username, password, attributes? }`. */
export function signUpInput(body: unknown): SignUpInput {
  const b = objectBody(body);
  return { username: username(b['username']), password: password(b['password']), attributes: attributes(b['attributes']) };
}

function attributes(value: unknown): Readonly<Record<string, string>> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadRequestException('attributes must be an object of strings');
  }
  const entries = Object.entries(value as Body);
  if (entries.length > MAX_ATTRIBUTES) throw new BadRequestException(`attributes may have at most ${MAX_ATTRIBUTES} members`);
  const out: Record<string, string> = {};
  for (const [name, v] of entries) {
    if (!ATTRIBUTE_NAME.test(name) || isForbiddenKey(name))
      throw new BadRequestException('attributes has a member whose name is not a Cognito attribute name');
    if (typeof v !== 'string' || v.length > 2048)
      throw new BadRequestException(`attributes.${name} must be a string of at most 2048 characters`);
    out[name] = v;
  }
  return out;
}

/** `{ username, code }`. */
export function confirmInput(body: unknown): { username: string; code: string } {
  const b = objectBody(body);
  return { username: username(b['username']), code: code(b['code']) };
}

/** `{ username }`. */
export function usernameInput(body: unknown): { username: string } {
  return { username: username(objectBody(body)['username']) };
}

/** `{ username, code, password }`. */
export function resetInput(body: unknown): { username: string; code: string; password: string } {
  const b = objectBody(body);
  return { username: username(b['username']), code: code(b['code']), password: password(b['password']) };
}

/** `{ oldPassword, newPassword }`. */
export function passwordChangeInput(body: unknown): { oldPassword: string; newPassword: string } {
  const b = objectBody(body);
  return { oldPassword: password(b['oldPassword'], 'oldPassword'), newPassword: password(b['newPassword'], 'newPassword') };
}
