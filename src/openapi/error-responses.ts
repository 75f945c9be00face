import type { CognitoAuthErrorCode } from '../errors/cognito-auth.errors.js';
import type { RouteRules } from '../guard/route-rules.js';
import type { SecurityRequirement } from './security-requirements.js';

/**
 * The parts of `@nestjs/swagger` (11 and 12) the library uses, typed here so that nothing in this
 * package's declarations refers to an optional peer.
 */
export interface SwaggerApi {
  readonly DECORATORS: { readonly API_RESPONSE: string; readonly API_SECURITY: string };
  ApiResponse(options: SwaggerResponseOptions, opts?: { overrideExisting?: boolean }): MethodDecorator;
  ApiSecurity(requirement: SecurityRequirement): MethodDecorator;
  ApiProperty(options: Readonly<Record<string, unknown>>): PropertyDecorator;
}

/** A response as `ApiResponse()` takes it. */
export interface SwaggerResponseOptions {
  status: number | 'default';
  description: string;
  type?: abstract new () => object;
  headers?: Record<string, { description: string; schema: { type: 'string' | 'integer' } }>;
  [option: string]: unknown;
}

/** The codes of the guard's failures, by status. */
export const GUARD_ERROR_CODES = {
  401: ['token_missing', 'token_invalid', 'token_expired', 'token_mismatch', 'refresh_failed', 'token_revoked'],
  403: ['user_not_registered', 'forbidden_group', 'forbidden_scope', 'forbidden_caller', 'forbidden_claims', 'csrf_failed'],
  503: ['auth_unavailable'],
} as const satisfies Record<401 | 403 | 503, readonly CognitoAuthErrorCode[]>;

/** The statuses a guarded route may answer with on the library's behalf. */
export type GuardErrorStatus = keyof typeof GUARD_ERROR_CODES;
/** The statuses, in the order they are documented. */
export const GUARD_ERROR_STATUSES: readonly GuardErrorStatus[] = [401, 403, 503];

/**
 * The body of every failure the guard answers. A class only so that `@nestjs/swagger` can publish
 * it as the component schema `CognitoAuthErrorBody`; its properties are described lazily (see
 * `describeErrorBody`), because `@nestjs/swagger` is an optional peer.
 */
export class CognitoAuthErrorBody {
  statusCode!: number;
  error!: string;
  code!: CognitoAuthErrorCode;
  message!: string;
}

const described = new WeakSet<SwaggerApi['ApiProperty']>();

/** Describes `CognitoAuthErrorBody`'s properties with this copy of `@nestjs/swagger`, once. */
export function describeErrorBody(swagger: SwaggerApi): void {
  if (described.has(swagger.ApiProperty)) return;
  described.add(swagger.ApiProperty);
  const proto = CognitoAuthErrorBody.prototype;
  const codes = GUARD_ERROR_STATUSES.flatMap((status) => GUARD_ERROR_CODES[status]);
  swagger.ApiProperty({ type: 'integer', example: 401, description: 'The HTTP status, repeated.' })(proto, 'statusCode');
  swagger.ApiProperty({ type: 'string', example: 'Unauthorized', description: 'The HTTP reason phrase.' })(proto, 'error');
  swagger.ApiProperty({
    enum: codes,
    enumName: 'CognitoAuthErrorCode',
    example: 'token_missing',
    description: 'Machine-readable reason; stable across versions.',
  })(proto, 'code');
  swagger.ApiProperty({ type: 'string', example: 'Authentication token missing', description: 'For people; never holds a token.' })(
    proto,
    'message',
  );
}

const list = (codes: readonly string[]): string => codes.map((c) => `\`${c}\``).join(', ');

/** What the route's own rules add to its 403's description. */
function ruleNotes(rules: RouteRules): string {
  const notes: string[] = [];
  if (rules.groups) notes.push(`in one of the groups ${list(rules.groups)}`);
  if (rules.allGroups) notes.push(`in every group of ${list(rules.allGroups)}`);
  if (rules.noGroups) notes.push(`in none of the groups ${list(rules.noGroups)}`);
  if (rules.scopes) notes.push(`an access token with the scopes ${list(rules.scopes)}`);
  if (rules.callers !== 'users') notes.push(rules.callers === 'machines' ? 'a machine client' : 'a user or a machine client');
  return notes.length > 0 ? ` This route needs the caller ${notes.join('; ')}.` : '';
}

/** The 401, 403 and 503 responses of a route guarded by `CognitoGuard`. */
export function guardErrorResponses(rules: RouteRules): Record<GuardErrorStatus, SwaggerResponseOptions> {
  const codes = (status: GuardErrorStatus): string => `\`code\`: ${list(GUARD_ERROR_CODES[status])}.`;
  return {
    401: {
      status: 401,
      description: `Not authenticated. ${codes(401)}`,
      type: CognitoAuthErrorBody,
      headers: {
        'WWW-Authenticate': {
          description: 'Bearer realm="cognito", with error="invalid_token" when a token was refused',
          schema: { type: 'string' },
        },
      },
    },
    403: { status: 403, description: `Authenticated but not allowed. ${codes(403)}${ruleNotes(rules)}`, type: CognitoAuthErrorBody },
    503: {
      status: 503,
      description: `Authentication temporarily unavailable (signing keys, Cognito or the user database). ${codes(503)}`,
      type: CognitoAuthErrorBody,
      headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } },
    },
  };
}
