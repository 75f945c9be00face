import type { LoggerService } from '@nestjs/common';
import { AuthUnavailableError } from '../errors/cognito-auth.errors.js';
import { databaseErrorCode, isUniqueViolation } from './unique-violation.js';

/** Runs one database call of user sync: `what` names it in logs ("find", "insert", "update"). */
export type DatabaseCall = <T>(what: string, call: () => Promise<T>) => Promise<T>;

/** How user sync's database calls are bounded and reported. */
export interface DatabaseCallOptions {
  /** Upper bound of each call, in ms (read at each call, so it can be changed at run time). */
  readonly timeoutMs: () => number;
  /** The `Retry-After` of the 503 answered when the database cannot be used. */
  readonly retryAfterSeconds: number;
  readonly logger: LoggerService;
}

class DatabaseTimeoutError extends Error {
  readonly code = 'TIMEOUT';
  constructor(ms: number) {
    super(`database call did not finish within ${ms} ms`);
    this.name = 'DatabaseTimeoutError';
  }
}

/**
 * A database call runner with an upper time bound. Unique violations are passed on for the
 * caller to handle; every other failure is logged (its driver code, never a message, which may
 * quote values) and answered as 503 `auth_unavailable`.
 */
export function boundedDatabaseCall(options: DatabaseCallOptions): DatabaseCall {
  return async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    const ms = options.timeoutMs();
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DatabaseTimeoutError(ms)), ms);
        timer.unref?.();
      });
      return await Promise.race([call(), timeout]);
    } catch (error) {
      if (isUniqueViolation(error)) throw error;
      const name = error instanceof Error ? error.constructor.name : typeof error;
      const code = databaseErrorCode(error);
      options.logger.error(`User database ${what} failed (${name}${code ? ` ${code}` : ''}): answering 503`);
      throw new AuthUnavailableError('The user database is unavailable', options.retryAfterSeconds);
    } finally {
      if (timer) clearTimeout(timer);
    }
  };
}
