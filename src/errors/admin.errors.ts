import { HttpException } from '@nestjs/common';

/** The `code` of the errors only the admin operations raise. */
export type CognitoAdminErrorCode = 'user_not_found' | 'group_not_found' | 'invalid_parameter';

/** The JSON body of an admin error: `{ statusCode, error, code, message }`, like every error of the library. */
export interface CognitoAdminErrorBody {
  statusCode: 400 | 404;
  error: string;
  code: CognitoAdminErrorCode;
  message: string;
}

/**
 * Base class of the admin operations' own errors (the others are the library's: 409
 * `username_exists`, 400 `invalid_password`, 429 `limit_exceeded`, 503 `auth_unavailable`). A Nest
 * `HttpException`, so one that reaches a controller is answered with its status and body, never as
 * a 500. These codes name users and groups: they are for administrators, never for the public
 * sign-in routes (where nothing may tell whether a user exists).
 */
export abstract class CognitoAdminError extends HttpException {
  /** The `code` member of the response body. */
  readonly code: CognitoAdminErrorCode;

  protected constructor(status: 400 | 404, code: CognitoAdminErrorCode, message: string) {
    const body: CognitoAdminErrorBody = { statusCode: status, error: status === 404 ? 'Not Found' : 'Bad Request', code, message };
    super(body, status);
    this.code = code;
    this.name = new.target.name;
  }

  /** The response body of this error. */
  toBody(): CognitoAdminErrorBody {
    return this.getResponse() as CognitoAdminErrorBody;
  }
}

/** 404 `user_not_found`: the pool has no user of that name. */
export class AdminUserNotFoundError extends CognitoAdminError {
  constructor(message = 'The user does not exist') {
    super(404, 'user_not_found', message);
  }
}

/** 404 `group_not_found`: the pool has no group of that name. */
export class AdminGroupNotFoundError extends CognitoAdminError {
  constructor(message = 'The group does not exist') {
    super(404, 'group_not_found', message);
  }
}

/** 400 `invalid_parameter`: an argument Cognito (or the service, before calling it) refused; the message says which. */
export class AdminInvalidParameterError extends CognitoAdminError {
  constructor(message = 'Cognito refused a parameter of the request') {
    super(400, 'invalid_parameter', message);
  }
}

const ADMIN_CODES: ReadonlySet<string> = new Set<CognitoAdminErrorCode>(['user_not_found', 'group_not_found', 'invalid_parameter']);

/**
 * True for an admin error of this library, recognised by its `code` and status rather than by
 * `instanceof` alone, so a CommonJS and an ESM copy of the package in one app agree.
 */
export function isCognitoAdminError(value: unknown): value is CognitoAdminError {
  if (value instanceof CognitoAdminError) return true;
  const candidate = value as { code?: unknown; getStatus?: unknown } | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.code === 'string' &&
    ADMIN_CODES.has(candidate.code) &&
    typeof candidate.getStatus === 'function'
  );
}
