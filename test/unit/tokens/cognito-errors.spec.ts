/**
 * The error mappings of the admin service and of the flows, name by name: what each Cognito / AWS
 * SDK error becomes for every operation, and how it is logged. Both mappings share one base
 * (src/tokens/cognito-errors.ts); this table holds them to the answers they gave before they did.
 */
import { jest } from '@jest/globals';
import { HttpException } from '@nestjs/common';
import { type AdminOperation, toAdminError } from '../../../src/admin/admin-error.mapping.js';
import { type FlowOperation, toFlowError } from '../../../src/flows/flow-errors.js';
import { COGNITO_MISCONFIGURATION_ERRORS, COGNITO_THROTTLING_ERRORS, cognitoErrorSets } from '../../../src/tokens/cognito-errors.js';

const ADMIN_OPERATIONS: readonly AdminOperation[] = [
  'getUser',
  'listUsers',
  'createUser',
  'disableUser',
  'enableUser',
  'deleteUser',
  'addToGroup',
  'removeFromGroup',
  'listGroups',
  'globalSignOut',
];
const FLOW_OPERATIONS: readonly FlowOperation[] = [
  'login',
  'challenge',
  'signUp',
  'confirmSignUp',
  'resendCode',
  'forgotPassword',
  'confirmForgotPassword',
  'changePassword',
  'globalSignOut',
];

/** Cognito's message in every error below: an answer that carries it says `+message`. */
const MESSAGE = 'Cognito message';

type Shape = 'sdk 400' | 'bare' | 'sdk 500';

/** The error as the SDK throws it: a client fault parsed from a 400, a server fault, or just a name. */
function failure(name: string, shape: Shape, message = MESSAGE): Error {
  const err = Object.assign(new Error(message), { name });
  if (shape === 'bare') return err;
  const status = shape === 'sdk 400' ? 400 : 500;
  return Object.assign(err, { $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

type Mapping<Op> = (operation: Op, err: unknown, ctx: { retryAfterSeconds: number; logger: Logger }) => Error;
type Logger = { warn: (m: string) => void; error: (m: string) => void; debug: (m: string) => void };

/**
 * What the caller gets and what is logged, in one string: `<status> <code>[ +message] (<log levels>)`.
 * `bad_request` is Nest's BadRequestException; `+message` says Cognito's message was passed on.
 */
function answer<Op>(map: Mapping<Op>, operation: Op, err: unknown): string {
  const levels: string[] = [];
  const logger = { warn: () => levels.push('warn'), error: () => levels.push('error'), debug: () => levels.push('debug') };
  const mapped = map(operation, err, { retryAfterSeconds: 7, logger });
  if (!(mapped instanceof HttpException)) return `not an HttpException: ${String(mapped)}`;
  const body = mapped.getResponse() as { code?: string };
  const code = body.code ?? 'bad_request';
  const retry = (mapped as { retryAfterSeconds?: number }).retryAfterSeconds;
  if ((mapped.getStatus() === 429 || mapped.getStatus() === 503) && retry !== 7) return `${code} without Retry-After`;
  return `${mapped.getStatus()} ${code}${mapped.message === MESSAGE ? ' +message' : ''} (${levels.join(',')})`;
}

/** One answer for every operation, or some operations' own answers and one for the rest. */
type Expected<Op extends string> = string | { readonly [K in Op | 'else']?: string };

function expectedFor<Op extends string>(expected: Expected<Op>, operation: Op): string {
  if (typeof expected === 'string') return expected;
  const own = expected[operation];
  if (own !== undefined) return own;
  const rest = expected.else;
  if (rest === undefined) throw new Error(`no expected answer for ${operation}`);
  return rest;
}

const LIMITED = '429 limit_exceeded (warn)';
const DOWN = '503 auth_unavailable (error)';
const ADMIN_BAD_PARAMETER = '400 invalid_parameter +message (debug)';
/** Cognito refused with an error the admin mapping does not name: a generic 400, and a warning. */
const ADMIN_UNEXPECTED = '400 invalid_parameter (debug,warn)';
const FLOW_UNEXPECTED = '400 bad_request (debug,warn)';

/**
 * Every Cognito / SDK error name either mapping names (its throttling, credentials and
 * misconfiguration sets and its refusals), and a few it does not, from Cognito's answer (a client
 * fault of a 400): [name, admin answer, flows answer].
 */
const TABLE: readonly [string, Expected<AdminOperation>, Expected<FlowOperation>][] = [
  // Throttling: 429 with Retry-After. The flows count too many failed attempts as throttling too.
  ['TooManyRequestsException', LIMITED, LIMITED],
  ['LimitExceededException', LIMITED, LIMITED],
  ['ThrottlingException', LIMITED, LIMITED],
  ['TooManyFailedAttemptsException', ADMIN_UNEXPECTED, LIMITED],
  // Missing or refused IAM credentials: the admin calls are signed, the flows' calls are not.
  ['CredentialsProviderError', DOWN, DOWN],
  ['AccessDeniedException', DOWN, DOWN],
  ['UnrecognizedClientException', DOWN, FLOW_UNEXPECTED],
  ['InvalidSignatureException', DOWN, FLOW_UNEXPECTED],
  ['IncompleteSignature', DOWN, DOWN],
  ['IncompleteSignatureException', DOWN, FLOW_UNEXPECTED],
  ['MissingAuthenticationToken', DOWN, DOWN],
  ['MissingAuthenticationTokenException', DOWN, FLOW_UNEXPECTED],
  ['ExpiredTokenException', DOWN, FLOW_UNEXPECTED],
  ['InvalidClientTokenId', DOWN, DOWN],
  [
    'NotAuthorizedException',
    DOWN,
    {
      challenge: '400 invalid_state (debug)',
      confirmSignUp: '400 code_expired (debug)',
      confirmForgotPassword: '400 code_expired (debug)',
      signUp: '400 bad_request (debug)',
      else: '401 invalid_credentials (debug)',
    },
  ],
  // The pool or the account set up wrongly: 503 for both.
  ['ResourceNotFoundException', DOWN, DOWN],
  ['InvalidUserPoolConfigurationException', DOWN, DOWN],
  ['UnsupportedOperationException', DOWN, DOWN],
  ['ForbiddenException', DOWN, DOWN],
  ['CodeDeliveryFailureException', DOWN, DOWN],
  ['InvalidEmailRoleAccessPolicyException', DOWN, DOWN],
  ['InvalidSmsRoleAccessPolicyException', DOWN, DOWN],
  ['InvalidSmsRoleTrustRelationshipException', DOWN, DOWN],
  ['InvalidLambdaResponseException', DOWN, DOWN],
  ['UnexpectedLambdaException', DOWN, DOWN],
  // Misconfigured for the flows only (the MFA set-up of the pool): an admin call never meets them.
  ['SoftwareTokenMFANotFoundException', ADMIN_UNEXPECTED, DOWN],
  ['MFAMethodNotFoundException', ADMIN_UNEXPECTED, DOWN],
  ['UnsupportedTokenTypeException', ADMIN_UNEXPECTED, DOWN],
  // Refusals.
  [
    'UserNotFoundException',
    '404 user_not_found (debug)',
    {
      confirmSignUp: '400 code_mismatch (debug)',
      confirmForgotPassword: '400 code_mismatch (debug)',
      else: '401 invalid_credentials (debug)',
    },
  ],
  ['UsernameExistsException', '409 username_exists (debug)', '409 username_exists (debug)'],
  ['AliasExistsException', '409 username_exists (debug)', '409 username_exists (debug)'],
  [
    'InvalidPasswordException',
    '400 invalid_password +message (debug)',
    { login: '401 invalid_credentials (debug)', else: '400 invalid_password +message (debug)' },
  ],
  ['InvalidParameterException', ADMIN_BAD_PARAMETER, { login: DOWN, else: '400 bad_request +message (debug)' }],
  ['UnsupportedUserStateException', ADMIN_BAD_PARAMETER, FLOW_UNEXPECTED],
  ['UserLambdaValidationException', ADMIN_BAD_PARAMETER, '400 bad_request +message (debug)'],
  ['PreconditionNotMetException', ADMIN_BAD_PARAMETER, FLOW_UNEXPECTED],
  ['UserNotConfirmedException', ADMIN_UNEXPECTED, '403 user_not_confirmed (debug)'],
  ['PasswordResetRequiredException', ADMIN_UNEXPECTED, '403 password_reset_required (debug)'],
  ['CodeMismatchException', ADMIN_UNEXPECTED, '400 code_mismatch (debug)'],
  ['EnableSoftwareTokenMFAException', ADMIN_UNEXPECTED, '400 code_mismatch (debug)'],
  ['ExpiredCodeException', ADMIN_UNEXPECTED, '400 code_expired (debug)'],
  // Named by neither mapping: Cognito's refusal-only names, its outage names, and a new name.
  ['RefreshTokenReuseException', ADMIN_UNEXPECTED, FLOW_UNEXPECTED],
  ['UnauthorizedException', ADMIN_UNEXPECTED, FLOW_UNEXPECTED],
  ['OperationNotEnabledException', ADMIN_UNEXPECTED, FLOW_UNEXPECTED],
  ['InternalErrorException', DOWN, DOWN],
  ['TimeoutError', DOWN, DOWN],
  ['SomethingNewException', ADMIN_UNEXPECTED, FLOW_UNEXPECTED],
];

/** Names that answer the same whatever the error's shape: each mapping's sets, checked by name alone. */
const BY_NAME_ALONE = {
  admin: [
    'TooManyRequestsException',
    'LimitExceededException',
    'ThrottlingException',
    'CredentialsProviderError',
    'AccessDeniedException',
    'UnrecognizedClientException',
    'InvalidSignatureException',
    'IncompleteSignature',
    'IncompleteSignatureException',
    'MissingAuthenticationToken',
    'MissingAuthenticationTokenException',
    'ExpiredTokenException',
    'InvalidClientTokenId',
    'NotAuthorizedException',
    'ResourceNotFoundException',
    'InvalidUserPoolConfigurationException',
    'UnsupportedOperationException',
    'ForbiddenException',
    'CodeDeliveryFailureException',
    'InvalidEmailRoleAccessPolicyException',
    'InvalidSmsRoleAccessPolicyException',
    'InvalidSmsRoleTrustRelationshipException',
    'InvalidLambdaResponseException',
    'UnexpectedLambdaException',
  ],
  flows: [
    'TooManyRequestsException',
    'LimitExceededException',
    'ThrottlingException',
    'TooManyFailedAttemptsException',
    'ResourceNotFoundException',
    'InvalidUserPoolConfigurationException',
    'UnsupportedOperationException',
    'AccessDeniedException',
    'ForbiddenException',
    'CodeDeliveryFailureException',
    'InvalidEmailRoleAccessPolicyException',
    'InvalidSmsRoleAccessPolicyException',
    'InvalidSmsRoleTrustRelationshipException',
    'InvalidLambdaResponseException',
    'UnexpectedLambdaException',
    'SoftwareTokenMFANotFoundException',
    'MFAMethodNotFoundException',
    'UnsupportedTokenTypeException',
  ],
};

/**
 * Names whose refusal stands without the SDK's 400 client-fault shape (classifyCognitoError knows
 * them as refusals); any other name in a bare error means Cognito did not really answer: 503.
 */
const REFUSED_WHEN_BARE = [
  'TooManyFailedAttemptsException',
  'NotAuthorizedException',
  'UserNotFoundException',
  'InvalidParameterException',
  'UserLambdaValidationException',
  'UserNotConfirmedException',
  'PasswordResetRequiredException',
  'RefreshTokenReuseException',
  'UnauthorizedException',
  'OperationNotEnabledException',
  'UnsupportedTokenTypeException',
];

const ADMIN = { name: 'admin', map: toAdminError as Mapping<AdminOperation>, operations: ADMIN_OPERATIONS, column: 1 } as const;
const FLOWS = { name: 'flows', map: toFlowError as Mapping<FlowOperation>, operations: FLOW_OPERATIONS, column: 2 } as const;

describe.each([ADMIN, FLOWS])('the $name mapping, name by name', (mapping) => {
  const expected = (name: string, operation: string): string => {
    const row = TABLE.find(([n]) => n === name);
    if (!row) throw new Error(`${name} is not in the table`);
    return expectedFor(row[mapping.column] as Expected<string>, operation);
  };
  const answers = (shape: Shape, names: readonly string[], message?: string): string[] =>
    names.flatMap((name) =>
      mapping.operations.map((op) => `${op} ${name}: ${answer(mapping.map as Mapping<string>, op, failure(name, shape, message))}`),
    );

  it.each(TABLE.map(([name]) => name))('%s from Cognito (a 400 client fault) gets its answer for every operation', (name) => {
    const got = answers('sdk 400', [name]);
    const want = mapping.operations.map((op) => `${op} ${name}: ${expected(name, op)}`);
    expect(got).toEqual(want);
  });

  it("its sets are checked by name alone: a bare error or a 5xx gets the 400's answer", () => {
    const names = BY_NAME_ALONE[mapping.name];
    const want = names.flatMap((name) => mapping.operations.map((op) => `${op} ${name}: ${expected(name, op)}`));
    expect(answers('bare', names)).toEqual(want);
    expect(answers('sdk 500', names)).toEqual(want);
  });

  it('any other name from a 5xx is 503 auth_unavailable: Cognito could not answer', () => {
    const names = TABLE.map(([name]) => name).filter((name) => !BY_NAME_ALONE[mapping.name].includes(name));
    const want = names.flatMap((name) => mapping.operations.map((op) => `${op} ${name}: ${DOWN}`));
    expect(answers('sdk 500', names)).toEqual(want);
  });

  it('a bare error (no SDK metadata) is a refusal only for the names known as refusals, else 503', () => {
    const names = TABLE.map(([name]) => name).filter((name) => !BY_NAME_ALONE[mapping.name].includes(name));
    const want = names.flatMap((name) =>
      mapping.operations.map((op) => `${op} ${name}: ${REFUSED_WHEN_BARE.includes(name) ? expected(name, op) : DOWN}`),
    );
    expect(answers('bare', names)).toEqual(want);
  });

  it('no error at all, or a network error, is 503 auth_unavailable', () => {
    for (const op of mapping.operations) {
      expect(answer(mapping.map as Mapping<string>, op, 'not an error')).toBe(DOWN);
      expect(answer(mapping.map as Mapping<string>, op, Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(DOWN);
    }
  });
});

describe('the admin mapping, beyond the name', () => {
  it('ResourceNotFoundException naming a group is 404 group_not_found (unlogged) for the group operations, else 503', () => {
    for (const shape of ['sdk 400', 'bare', 'sdk 500'] as const) {
      const got = ADMIN_OPERATIONS.map((op) => [
        op,
        answer(toAdminError, op, failure('ResourceNotFoundException', shape, 'Group not found.')),
      ]);
      expect(got).toEqual(
        ADMIN_OPERATIONS.map((op) => [op, op === 'addToGroup' || op === 'removeFromGroup' ? '404 group_not_found ()' : DOWN]),
      );
    }
  });

  it('refused or missing IAM credentials are logged with what the operator has to grant', () => {
    const logger = { warn: jest.fn(), error: jest.fn(), debug: jest.fn() };
    toAdminError('getUser', failure('AccessDeniedException', 'sdk 400'), { retryAfterSeconds: 7, logger });
    expect(logger.error).toHaveBeenCalledWith(expect.stringContaining('admin calls need IAM credentials'));
    expect(JSON.stringify(logger.error.mock.calls)).not.toContain(MESSAGE);
  });
});

describe('the shared base', () => {
  it("a mapping's own names join its sets only: the shared lists and other mappings' sets stay as they were", () => {
    const own = cognitoErrorSets({ throttling: ['TooManyFailedAttemptsException'], misconfigured: ['AccessDeniedException'] });
    const plain = cognitoErrorSets();
    expect([...own.throttling]).toEqual([...COGNITO_THROTTLING_ERRORS, 'TooManyFailedAttemptsException']);
    expect([...own.misconfigured]).toEqual([...COGNITO_MISCONFIGURATION_ERRORS, 'AccessDeniedException']);
    expect([...plain.throttling]).toEqual(COGNITO_THROTTLING_ERRORS);
    expect([...plain.misconfigured]).toEqual(COGNITO_MISCONFIGURATION_ERRORS);
  });

  it('the shared lists cannot be changed at run time', () => {
    expect(Object.isFrozen(COGNITO_THROTTLING_ERRORS)).toBe(true);
    expect(Object.isFrozen(COGNITO_MISCONFIGURATION_ERRORS)).toBe(true);
  });
});
