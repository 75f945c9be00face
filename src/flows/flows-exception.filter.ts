import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { COGNITO_AUTH_SETTINGS } from '../cognito-auth.constants.js';
import { AuthUnavailableError, type CognitoAuthError, isCognitoAuthError, LimitExceededError } from '../errors/cognito-auth.errors.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { applyErrorHeaders } from '../session/http-error-headers.js';
import { setResponseHeader } from '../session/http-response.js';
import { safeErrorName } from '../tokens/cognito-errors.js';

interface HeaderReader {
  getHeader?(name: string): unknown;
}

/**
 * Answers every failure of the flows controller with a JSON body and never a 500: the library's
 * errors with their status, code and headers (`WWW-Authenticate`, `Retry-After`); a 429 of
 * @nestjs/throttler as 429 `limit_exceeded`; other 4xx as Nest built them (a bad body's 400 with
 * its message); anything else as 503 `auth_unavailable`, logged by class name only.
 */
@Catch()
export class CognitoFlowsExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('CognitoFlowsController');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(COGNITO_AUTH_SETTINGS) private readonly settings: CognitoAuthSettings,
  ) {}

  /** Writes the answer for `exception`. */
  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<unknown>();
    const { status, body } = this.answer(exception, res);
    this.adapterHost.httpAdapter.reply(res, body, status);
  }

  private answer(exception: unknown, res: unknown): { status: number; body: unknown } {
    if (isCognitoAuthError(exception)) return this.cognito(exception, res);
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === 429) {
        const limited = new LimitExceededError(undefined, this.settings.retryAfterSeconds);
        if ((res as HeaderReader).getHeader?.('Retry-After') !== undefined) return { status: 429, body: limited.toBody() };
        return this.cognito(limited, res);
      }
      if (status < 500) {
        const response = exception.getResponse();
        return { status, body: typeof response === 'object' ? response : { statusCode: status, message: response } };
      }
    }
    this.logger.error(
      `Unexpected failure in a sign-in flow: ${exception instanceof Error ? exception.constructor.name : safeErrorName(exception)}`,
    );
    return this.cognito(new AuthUnavailableError(undefined, this.settings.retryAfterSeconds), res);
  }

  private cognito(error: CognitoAuthError, res: unknown): { status: number; body: unknown } {
    applyErrorHeaders(res, error);
    if (error.getStatus() === 503 || error.getStatus() === 429) setResponseHeader(res, 'Cache-Control', 'no-store');
    return { status: error.getStatus(), body: error.toBody() };
  }
}
