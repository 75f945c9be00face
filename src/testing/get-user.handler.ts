import { createHash, createPublicKey, randomUUID, verify } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TestJwk } from './signing-key.helpers.js';

/** The scope `GetUser` needs, as at AWS. */
const ADMIN_SCOPE = 'aws.cognito.signin.user.admin';
const TARGET = 'AWSCognitoIdentityProviderService.GetUser';
const MAX_BODY_BYTES = 64 * 1024;

/** Options of {@link GetUserOperation}. */
export interface GetUserOptions {
  /** The issuer access tokens must carry. */
  readonly issuer: string;
  /** The published public key of a `kid`, or `undefined`. */
  readonly key: (kid: string) => TestJwk | undefined;
  /** Epoch seconds; default now. */
  readonly now?: () => number;
  /** More revocations the provider knows of (a `GlobalSignOut`, an admin sign-out...), by the token's claims. */
  readonly isRevoked?: (claims: Readonly<Record<string, unknown>>) => boolean;
}

/** A refusal the way Cognito answers it. */
class Refusal extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/**
 * Cognito's `GetUser` for the test identity provider, checking the access token as AWS does
 * (cognito-local does not): RS256 signature against the published keys, issuer, `token_use`,
 * expiry, the `aws.cognito.signin.user.admin` scope, and revocation: tokens revoked with
 * {@link revokeAccessToken} (what `RevokeToken` does to the access tokens of that refresh token at
 * AWS) or by a global sign-out ({@link signOut}) answer `NotAuthorizedException`.
 */
export class GetUserOperation {
  /** `GetUser` requests answered (any outcome). */
  calls = 0;
  private readonly revokedTokens = new Set<string>();
  private readonly revokedSessions = new Set<string>();
  private readonly signedOut = new Map<string, number>();

  constructor(private readonly options: GetUserOptions) {}

  /** True for a request whose `X-Amz-Target` is `GetUser`. */
  static matches(req: IncomingMessage): boolean {
    return req.method === 'POST' && req.headers['x-amz-target'] === TARGET;
  }

  /** Makes `GetUser` refuse this access token (and every token of its session, `origin_jti`). */
  revokeAccessToken(token: string): void {
    this.revokedTokens.add(digest(token));
    const originJti = decodeSegment(token.split('.')[1])?.origin_jti;
    if (typeof originJti === 'string') this.revokedSessions.add(originJti);
  }

  /** Makes `GetUser` refuse every access token of `sub` issued at or before `at` (epoch seconds; default now). */
  signOut(sub: string, at: number = this.now()): void {
    this.signedOut.set(sub, Math.max(at, this.signedOut.get(sub) ?? at));
  }

  /** Answers one `GetUser` request. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.calls++;
    try {
      const body = await readJson(req);
      const token = typeof body.AccessToken === 'string' ? body.AccessToken : '';
      if (token === '') throw new Refusal('InvalidParameterException', 'Missing required parameter AccessToken');
      const claims = this.check(token);
      send(res, 200, {
        Username: String(claims.username),
        UserAttributes: [{ Name: 'sub', Value: String(claims.sub) }],
      });
    } catch (err) {
      const refusal = err instanceof Refusal ? err : new Refusal('InternalErrorException', 'Internal error', 500);
      send(res, refusal.status, { __type: refusal.type, message: refusal.message }, refusal.type);
    }
  }

  private now(): number {
    return this.options.now ? this.options.now() : Math.floor(Date.now() / 1000);
  }

  /** The token's claims when AWS would accept it for `GetUser`. */
  private check(token: string): Record<string, unknown> {
    const invalid = new Refusal('NotAuthorizedException', 'Invalid Access Token');
    const [h, p, s] = token.split('.');
    const header = decodeSegment(h);
    const claims = decodeSegment(p);
    if (!header || !claims || !s || header.alg !== 'RS256' || typeof header.kid !== 'string') throw invalid;
    const jwk = this.options.key(header.kid);
    if (!jwk) throw invalid;
    const signed = verify(
      'RSA-SHA256',
      Buffer.from(`${h}.${p}`),
      createPublicKey({ key: jwk, format: 'jwk' }),
      Buffer.from(s, 'base64url'),
    );
    if (!signed || claims.iss !== this.options.issuer || claims.token_use !== 'access') throw invalid;
    if (typeof claims.exp !== 'number' || claims.exp <= this.now()) throw new Refusal('NotAuthorizedException', 'Access Token has expired');
    if (typeof claims.scope !== 'string' || !claims.scope.split(' ').includes(ADMIN_SCOPE)) {
      throw new Refusal('NotAuthorizedException', 'Access Token does not have required scopes');
    }
    const cutOff = typeof claims.sub === 'string' ? this.signedOut.get(claims.sub) : undefined;
    const revoked =
      this.revokedTokens.has(digest(token)) ||
      (typeof claims.origin_jti === 'string' && this.revokedSessions.has(claims.origin_jti)) ||
      (cutOff !== undefined && typeof claims.iat === 'number' && claims.iat <= cutOff) ||
      this.options.isRevoked?.(claims) === true;
    if (revoked) throw new Refusal('NotAuthorizedException', 'Access Token has been revoked');
    return claims;
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

function decodeSegment(segment: string | undefined): Record<string, unknown> | undefined {
  if (!segment) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.once('error', reject);
    req.once('end', () => {
      if (size > MAX_BODY_BYTES) return reject(new Refusal('SerializationException', 'Request body too large'));
      const parsed = decodeJson(Buffer.concat(chunks).toString('utf8'));
      return parsed ? resolve(parsed) : reject(new Refusal('SerializationException', 'Request body must be a JSON object'));
    });
  });
}

function decodeJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, body: Record<string, unknown>, errorType?: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}),
  });
  res.end(text);
}
