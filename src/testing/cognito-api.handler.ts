import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IssueTokensOptions, RefreshTokenOwner } from './test-identity-provider.js';

/** How the refresh operations (`InitiateAuth`, `GetTokensFromRefreshToken`) answer. */
export type RefreshMode = 'ok' | 'throttle' | 'error' | 'hang' | 'malformed' | 'not-authorized';

/** Fault controls of the Cognito refresh operations; change them at any time. */
export interface RefreshControls {
  /**
   * `ok`: normal. `throttle`: 400 `TooManyRequestsException`. `error`: 500 `InternalErrorException`.
   * `hang`: no answer until `close()`. `malformed`: 200 with a truncated JSON body.
   * `not-authorized`: 400 `NotAuthorizedException` whatever the refresh token.
   */
  mode: RefreshMode;
  /** Milliseconds to wait before answering. Default 0. */
  delayMs: number;
  /** Decides what a successful refresh issues (another user, another key...). Default: the owner again. */
  issueAs?: (owner: RefreshTokenOwner) => IssueTokensOptions;
}

/** What the Cognito API handler needs from the identity provider. */
export interface CognitoApiBackend {
  /** Client id to secret (`undefined`: a public client). */
  readonly clients: ReadonlyMap<string, string | undefined>;
  readonly refreshControls: RefreshControls;
  count(operation: 'initiateAuth' | 'getTokensFromRefreshToken' | 'revokeToken'): void;
  delay(ms: number): Promise<void>;
  findRefreshToken(token: string): RefreshTokenOwner | undefined;
  revoke(token: string): void;
  /**
   * Further operations (the user flows): a promise of the answer (`undefined`: answered already or
   * never), or `undefined` at once when the operation is not one of them.
   */
  operation?(name: string, params: Record<string, unknown>): Promise<Record<string, unknown> | undefined> | undefined;
  /** Mints a pair for `owner`; with `rotate` also a new refresh token, and the old one is revoked. */
  refresh(
    owner: RefreshTokenOwner,
    oldToken: string,
    rotate: boolean,
  ): Promise<{ accessToken: string; idToken: string; refreshToken?: string; expiresIn: number }>;
}

/** Request bodies larger than this are refused. */
const MAX_BODY_BYTES = 1024 * 1024;
const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.';
const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

/** An error answered the way Cognito does: status, `__type` and `x-amzn-ErrorType`. */
export class CognitoError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: string, errorType?: string): void {
  const headers: Record<string, string | number> = {
    ...(status === 413 ? { connection: 'close' } : {}),
    'content-type': JSON_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
  };
  if (errorType) headers['x-amzn-ErrorType'] = errorType;
  res.writeHead(status, headers);
  res.end(body);
}

function sendError(res: ServerResponse, error: CognitoError): void {
  send(res, error.status, JSON.stringify({ __type: error.type, message: error.message }), error.type);
}

/** Reads the body, or `undefined` as soon as it is over the limit (the rest is drained unread). */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.off('data', onData);
        req.resume(); // discard the rest, so closing the socket does not reset the answer
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringParam(params: Record<string, unknown>, name: string): string {
  const value = params[name];
  if (typeof value !== 'string' || value === '') {
    throw new CognitoError('InvalidParameterException', `Missing required parameter ${name}`);
  }
  return value;
}

function optionalString(params: Record<string, unknown>, name: string): string | undefined {
  const value = params[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Constant-time string comparison (both sides hashed first, so lengths never leak). */
function safeEqual(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** Handles `POST /`: Cognito's JSON protocol as the AWS SDK v3 client speaks it. */
export async function handleCognitoRequest(req: IncomingMessage, res: ServerResponse, backend: CognitoApiBackend): Promise<void> {
  const raw = await readBody(req);
  if (raw === undefined) {
    sendError(res, new CognitoError('SerializationException', 'Request body too large', 413));
    return;
  }
  try {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw new CognitoError('SerializationException', 'Request body is not valid JSON');
    }
    if (!isRecord(body)) throw new CognitoError('SerializationException', 'Request body must be a JSON object');
    const target = req.headers['x-amz-target'];
    const operation = typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    const result = await dispatch(operation, body, backend, res);
    if (result !== undefined) send(res, 200, JSON.stringify(result));
  } catch (error) {
    if (error instanceof CognitoError) sendError(res, error);
    else sendError(res, new CognitoError('InternalErrorException', 'Internal error', 500));
  }
}

type Params = Record<string, unknown>;
type Answer = Record<string, unknown> | undefined;

/** Runs one operation; `undefined` means the answer was already given (or never will be). */
async function dispatch(operation: string, params: Params, backend: CognitoApiBackend, res: ServerResponse): Promise<Answer> {
  const further = backend.operation?.(operation, params);
  if (further) return further;
  switch (operation) {
    case 'InitiateAuth':
      return initiateAuth(params, backend, res);
    case 'GetTokensFromRefreshToken':
      return getTokensFromRefreshToken(params, backend, res);
    case 'RevokeToken':
      return revokeToken(params, backend);
    default:
      throw new CognitoError(
        'UnknownOperationException',
        operation ? `TestIdentityProvider does not implement ${operation}` : 'Missing or unknown X-Amz-Target',
      );
  }
}

/** `InitiateAuth` with `REFRESH_TOKEN_AUTH` (the other flows are `backend.operation`'s). */
async function initiateAuth(params: Params, backend: CognitoApiBackend, res: ServerResponse): Promise<Answer> {
  backend.count('initiateAuth');
  if (!(await applyRefreshFaults(backend, res))) return undefined;
  const flow = params['AuthFlow'];
  if (flow !== 'REFRESH_TOKEN_AUTH' && flow !== 'REFRESH_TOKEN') {
    throw new CognitoError('InvalidParameterException', 'TestIdentityProvider supports only the REFRESH_TOKEN_AUTH flow');
  }
  const clientId = knownClient(backend, stringParam(params, 'ClientId'));
  const authParameters = isRecord(params['AuthParameters']) ? params['AuthParameters'] : {};
  const refreshToken = stringParam(authParameters, 'REFRESH_TOKEN');
  const owner = ownerOf(backend, refreshToken, clientId);
  checkSecretHash(backend, clientId, owner.username, optionalString(authParameters, 'SECRET_HASH'));
  const tokens = await backend.refresh(owner, refreshToken, false);
  return {
    AuthenticationResult: { AccessToken: tokens.accessToken, IdToken: tokens.idToken, ExpiresIn: tokens.expiresIn, TokenType: 'Bearer' },
    ChallengeParameters: {},
  };
}

/** `GetTokensFromRefreshToken` (refresh-token rotation: a new refresh token, the old one revoked). */
async function getTokensFromRefreshToken(params: Params, backend: CognitoApiBackend, res: ServerResponse): Promise<Answer> {
  backend.count('getTokensFromRefreshToken');
  if (!(await applyRefreshFaults(backend, res))) return undefined;
  const clientId = knownClient(backend, stringParam(params, 'ClientId'));
  const refreshToken = stringParam(params, 'RefreshToken');
  const owner = ownerOf(backend, refreshToken, clientId);
  checkClientSecret(backend, clientId, optionalString(params, 'ClientSecret'));
  const tokens = await backend.refresh(owner, refreshToken, true);
  return {
    AuthenticationResult: {
      AccessToken: tokens.accessToken,
      IdToken: tokens.idToken,
      RefreshToken: tokens.refreshToken,
      ExpiresIn: tokens.expiresIn,
      TokenType: 'Bearer',
    },
  };
}

/** `RevokeToken`: only with the client the token was issued to; unknown tokens are accepted silently (RFC 7009). */
function revokeToken(params: Params, backend: CognitoApiBackend): Answer {
  backend.count('revokeToken');
  const clientId = knownClient(backend, stringParam(params, 'ClientId'));
  const token = stringParam(params, 'Token');
  checkClientSecret(backend, clientId, optionalString(params, 'ClientSecret'));
  const owner = backend.findRefreshToken(token);
  if (owner && owner.clientId !== clientId) throw new CognitoError('UnauthorizedException', 'The token was not issued to this client');
  if (owner) backend.revoke(token);
  return {};
}

/** Applies `refreshControls`; false when the answer was already given or withheld. */
async function applyRefreshFaults(backend: CognitoApiBackend, res: ServerResponse): Promise<boolean> {
  const controls = backend.refreshControls;
  if (controls.delayMs > 0) await backend.delay(controls.delayMs);
  switch (controls.mode) {
    case 'ok':
      return true;
    case 'throttle':
      throw new CognitoError('TooManyRequestsException', 'Rate exceeded');
    case 'error':
      throw new CognitoError('InternalErrorException', 'Internal server error', 500);
    case 'not-authorized':
      throw new CognitoError('NotAuthorizedException', 'Refresh Token has been revoked');
    case 'malformed':
      send(res, 200, '{"AuthenticationResult": {"AccessToken": ');
      return false;
    case 'hang':
      return false;
  }
}

function knownClient(backend: CognitoApiBackend, clientId: string): string {
  if (!backend.clients.has(clientId)) {
    throw new CognitoError('ResourceNotFoundException', `User pool client ${clientId} does not exist.`);
  }
  return clientId;
}

function ownerOf(backend: CognitoApiBackend, refreshToken: string, clientId: string): RefreshTokenOwner {
  const owner = backend.findRefreshToken(refreshToken);
  if (!owner || owner.clientId !== clientId) throw new CognitoError('NotAuthorizedException', 'Invalid Refresh Token');
  return owner;
}

/** `SECRET_HASH = base64(HMAC-SHA256(key = secret, message = username + clientId))`. */
function checkSecretHash(backend: CognitoApiBackend, clientId: string, username: string, given?: string): void {
  const secret = backend.clients.get(clientId);
  if (secret === undefined) return;
  if (given === undefined) {
    throw new CognitoError('NotAuthorizedException', `Client ${clientId} is configured for secret but secret was not received`);
  }
  const expected = createHmac('sha256', secret)
    .update(username + clientId, 'utf8')
    .digest('base64');
  if (!safeEqual(given, expected)) {
    throw new CognitoError('NotAuthorizedException', `Unable to verify secret hash for client ${clientId}`);
  }
}

function checkClientSecret(backend: CognitoApiBackend, clientId: string, given?: string): void {
  const secret = backend.clients.get(clientId);
  if (secret === undefined) return;
  if (given === undefined || !safeEqual(given, secret)) {
    throw new CognitoError('NotAuthorizedException', `Unable to verify client secret for client ${clientId}`);
  }
}
