import { jest } from '@jest/globals';
import { BadRequestException } from '@nestjs/common';
import { type FlowOperation, toFlowError } from '../../../src/flows/flow-errors.js';
import { scrubMessage } from '../../../src/tokens/cognito-errors.js';
import { type CognitoAuthError, isCognitoAuthError } from '../../../src/errors/cognito-auth.errors.js';

const logger = { warn: jest.fn(), error: jest.fn(), debug: jest.fn() };
const ctx = { retryAfterSeconds: 7, logger };

/** An SDK-shaped Cognito error: a client fault parsed from a 400 with its `__type`. */
function cognito(name: string, message = 'msg', status = 400): Error {
  return Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

function code(operation: FlowOperation, err: unknown): string {
  const mapped = toFlowError(operation, err, ctx);
  if (isCognitoAuthError(mapped)) return (mapped as CognitoAuthError).code;
  return mapped instanceof BadRequestException ? 'bad_request' : 'other';
}

describe('Cognito errors of the flows -> typed errors', () => {
  beforeEach(() => jest.clearAllMocks());

  it.each<[FlowOperation, string, string]>([
    ['login', 'NotAuthorizedException', 'invalid_credentials'],
    ['login', 'UserNotFoundException', 'invalid_credentials'],
    ['login', 'InvalidPasswordException', 'invalid_credentials'],
    ['login', 'UserNotConfirmedException', 'user_not_confirmed'],
    ['login', 'PasswordResetRequiredException', 'password_reset_required'],
    ['login', 'InvalidParameterException', 'auth_unavailable'],
    ['challenge', 'NotAuthorizedException', 'invalid_state'],
    ['challenge', 'CodeMismatchException', 'code_mismatch'],
    ['challenge', 'EnableSoftwareTokenMFAException', 'code_mismatch'],
    ['challenge', 'ExpiredCodeException', 'code_expired'],
    ['challenge', 'InvalidPasswordException', 'invalid_password'],
    ['signUp', 'UsernameExistsException', 'username_exists'],
    ['signUp', 'AliasExistsException', 'username_exists'],
    ['signUp', 'InvalidPasswordException', 'invalid_password'],
    ['signUp', 'InvalidParameterException', 'bad_request'],
    ['signUp', 'CodeDeliveryFailureException', 'auth_unavailable'],
    ['confirmSignUp', 'CodeMismatchException', 'code_mismatch'],
    ['confirmSignUp', 'ExpiredCodeException', 'code_expired'],
    ['confirmSignUp', 'NotAuthorizedException', 'code_expired'],
    ['confirmSignUp', 'UserNotFoundException', 'code_mismatch'],
    ['confirmForgotPassword', 'UserNotFoundException', 'code_mismatch'],
    ['confirmForgotPassword', 'InvalidPasswordException', 'invalid_password'],
    ['changePassword', 'NotAuthorizedException', 'invalid_credentials'],
    ['login', 'ResourceNotFoundException', 'auth_unavailable'],
  ])('%s: %s -> %s', (operation, name, expected) => {
    expect(code(operation, cognito(name))).toBe(expected);
  });

  it.each(['TooManyRequestsException', 'LimitExceededException', 'TooManyFailedAttemptsException', 'ThrottlingException'])(
    'throttling (%s) in a user-initiated flow is 429 limit_exceeded with Retry-After',
    (name) => {
      const mapped = toFlowError('login', cognito(name), ctx) as CognitoAuthError & { retryAfterSeconds: number };
      expect(mapped.code).toBe('limit_exceeded');
      expect(mapped.getStatus()).toBe(429);
      expect(mapped.retryAfterSeconds).toBe(7);
    },
  );

  it('Cognito down (5xx), a timeout or a network error is 503 auth_unavailable', () => {
    expect(code('login', cognito('InternalErrorException', 'x', 500))).toBe('auth_unavailable');
    expect(code('signUp', Object.assign(new Error('t'), { name: 'TimeoutError' }))).toBe('auth_unavailable');
    expect(code('forgotPassword', Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe('auth_unavailable');
    expect(code('login', 'not even an error')).toBe('auth_unavailable');
  });

  it('only the allowed codes reveal a user: unknown user and wrong password give the same answer', () => {
    const unknown = toFlowError('login', cognito('UserNotFoundException', 'User does not exist.'), ctx) as CognitoAuthError;
    const wrong = toFlowError('login', cognito('NotAuthorizedException', 'Incorrect username or password.'), ctx) as CognitoAuthError;
    expect(unknown.toBody()).toEqual(wrong.toBody());
  });

  it('passes the policy message on, without a secret of the request and without control characters', () => {
    const err = cognito('InvalidPasswordException', 'Password did not conform with policy: hunter2\nhunter2 too short');
    const mapped = toFlowError('signUp', err, { ...ctx, secrets: ['hunter2'] }) as CognitoAuthError;
    expect(mapped.message).toBe('Password did not conform with policy: *** *** too short');
    expect(scrubMessage({ message: 'x'.repeat(500) }, [], 'f')).toHaveLength(300);
    expect(scrubMessage({}, [], 'fallback')).toBe('fallback');
  });

  it("logs the error name, never Cognito's message", () => {
    toFlowError('login', cognito('InternalErrorException', 'secret-ish detail', 500), ctx);
    const logged = JSON.stringify([logger.warn.mock.calls, logger.error.mock.calls, logger.debug.mock.calls]);
    expect(logged).toContain('InternalErrorException');
    expect(logged).not.toContain('secret-ish detail');
  });
});
