import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { CognitoError } from '../cognito-api.handler.js';

/** A JSON object of a request or an answer. */
export type Json = Record<string, unknown>;

/** Throws Cognito's `InvalidParameterException`. */
export function invalidParameter(message: string): never {
  throw new CognitoError('InvalidParameterException', message);
}

/** Throws Cognito's `NotAuthorizedException`. */
export function notAuthorized(message = 'Incorrect username or password.'): never {
  throw new CognitoError('NotAuthorizedException', message);
}

/** A required non-empty string parameter. */
export function str(params: Json, name: string): string {
  const value = params[name];
  if (typeof value !== 'string' || value === '') invalidParameter(`Missing required parameter ${name}`);
  return value;
}

/** An optional string parameter. */
export function optStr(params: Json, name: string): string | undefined {
  const value = params[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** An object parameter (`AuthParameters`, `ChallengeResponses`), `{}` when absent. */
export function record(params: Json, name: string): Record<string, string> {
  const value = params[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) invalidParameter(`${name} must be a map`);
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value as Json)) if (typeof v === 'string') out[key] = v;
  return out;
}

/** Constant-time string comparison (both hashed first, so lengths never leak). */
export function safeEqual(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** The app client, or `ResourceNotFoundException`. */
export function knownClient(clients: ReadonlyMap<string, string | undefined>, params: Json): string {
  const clientId = str(params, 'ClientId');
  if (!clients.has(clientId)) throw new CognitoError('ResourceNotFoundException', `User pool client ${clientId} does not exist.`);
  return clientId;
}

/** Checks `SECRET_HASH = base64(HMAC-SHA256(secret, username + clientId))` for a client with a secret. */
export function checkSecretHash(
  clients: ReadonlyMap<string, string | undefined>,
  clientId: string,
  username: string,
  given: string | undefined,
): void {
  const secret = clients.get(clientId);
  if (secret === undefined) return;
  if (given === undefined) notAuthorized(`Client ${clientId} is configured for secret but secret was not received`);
  const expected = createHmac('sha256', secret)
    .update(username + clientId, 'utf8')
    .digest('base64');
  if (!safeEqual(given, expected)) notAuthorized(`Unable to verify secret hash for client ${clientId}`);
}
