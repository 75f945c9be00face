/**
 * The guards the bench app puts beside CognitoGuard: the peers (aws-jwt-verify, jose,
 * passport-jwt + jwks-rsa), each with the same checks (issuer, RS256, token_use access, client id),
 * and two diagnostics: a guard that only returns true (what any Nest guard costs) and the bare
 * RS256 check of the request's tokens (what a signature costs on this machine under this load).
 */
import { createPublicKey, type KeyObject, verify as cryptoVerify } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { passportJwtSecret } from 'jwks-rsa';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AWS_ISSUER, AWS_JWKS_URI, CLIENT_ID, type IdpAddress, POOL_ID } from './common.js';

/** Injection tokens of the bench app's own providers. */
export const AWS_VERIFIER = Symbol('AWS_VERIFIER');
export const IDP_ADDRESS = Symbol('IDP_ADDRESS');
export const SIGNING_KEY = Symbol('SIGNING_KEY');

/** The symbol CognitoGuard keeps its outcome under (`Symbol.for`, so the same symbol). */
const REQUEST_STATE = Symbol.for('nest-cognito-auth:state');

type RequestLike = { headers: Record<string, string | string[] | undefined>; user?: unknown };

function bearer(req: RequestLike): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string' || !h.startsWith('Bearer ')) return undefined;
  return h.slice(7).trim() || undefined;
}

/**
 * aws-jwt-verify: `CognitoJwtVerifier.create({ userPoolId, tokenUse: 'access', clientId })` as its
 * README shows. Its JWKS URI is derived from the pool id (AWS); its fetcher (only used for a
 * JWKS it does not hold) is pointed at the local provider so nothing leaves the machine.
 */
export function createAwsVerifier(idp: IdpAddress) {
  const fetcher = {
    fetch: async (uri: string): Promise<ArrayBuffer> => {
      if (uri !== AWS_JWKS_URI) throw new Error(`unexpected JWKS URI ${uri}`);
      const res = await fetch(idp.jwksUri, { signal: AbortSignal.timeout(3000) });
      if (res.status !== 200) throw new Error(`JWKS answered ${res.status}`);
      return res.arrayBuffer();
    },
  };
  return CognitoJwtVerifier.create(
    { userPoolId: POOL_ID, tokenUse: 'access', clientId: CLIENT_ID },
    { jwksCache: new SimpleJwksCache({ fetcher }) },
  );
}
export type AwsVerifier = ReturnType<typeof createAwsVerifier>;

/** The provider's first signing key, fetched from its JWKS (for the bare RS256 guard). */
export async function fetchSigningKey(idp: IdpAddress): Promise<KeyObject> {
  const res = await fetch(idp.jwksUri, { signal: AbortSignal.timeout(3000) });
  const jwks = (await res.json()) as { keys: Record<string, string>[] };
  return createPublicKey({ key: jwks.keys[0], format: 'jwk' });
}

@Injectable()
export class AwsJwtVerifyGuard implements CanActivate {
  constructor(@Inject(AWS_VERIFIER) private readonly verifier: AwsVerifier) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<RequestLike>();
    const token = bearer(req);
    if (!token) throw new UnauthorizedException();
    try {
      req.user = await this.verifier.verify(token);
      return true;
    } catch {
      throw new UnauthorizedException();
    }
  }
}

/** jose alone: a remote JWKS set (cached by jose) and jwtVerify with the same checks. */
@Injectable()
export class JoseGuard implements CanActivate {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;

  constructor(@Inject(IDP_ADDRESS) idp: IdpAddress) {
    this.jwks = createRemoteJWKSet(new URL(idp.jwksUri), { timeoutDuration: 3000 });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<RequestLike>();
    const token = bearer(req);
    if (!token) throw new UnauthorizedException();
    try {
      const { payload } = await jwtVerify(token, this.jwks, { issuer: AWS_ISSUER, algorithms: ['RS256'], requiredClaims: ['exp', 'iat'] });
      if (payload.token_use !== 'access' || payload.client_id !== CLIENT_ID) throw new Error('not an access token of the client');
      req.user = payload;
      return true;
    } catch {
      throw new UnauthorizedException();
    }
  }
}

/** The usual NestJS + Cognito recipe: passport-jwt with jwks-rsa's passportJwtSecret (key cache on). */
@Injectable()
export class CognitoJwtStrategy extends PassportStrategy(Strategy, 'cognito-jwt') {
  constructor(@Inject(IDP_ADDRESS) idp: IdpAddress) {
    super({
      secretOrKeyProvider: passportJwtSecret({ cache: true, rateLimit: true, jwksRequestsPerMinute: 10, jwksUri: idp.jwksUri }),
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      issuer: AWS_ISSUER,
      algorithms: ['RS256'],
    });
  }

  validate(payload: Record<string, unknown>): Record<string, unknown> {
    if (payload.token_use !== 'access' || payload.client_id !== CLIENT_ID) throw new UnauthorizedException();
    return payload;
  }
}

/** Does nothing: the floor every guard pays (Nest's guard machinery, one async hop). */
@Injectable()
export class NoopGuard implements CanActivate {
  async canActivate(): Promise<boolean> {
    return true;
  }
}

/**
 * Sets what CognitoGuard leaves on a request it passes, and nothing else: its outcome under the
 * library's state symbol and `req.user`. What storing two properties on the request costs, apart
 * from any verification (on Express's request object it is several µs under load).
 */
@Injectable()
export class RequestPropsGuard implements CanActivate {
  private readonly outcome = Object.freeze({ result: Object.freeze({ user: Object.freeze({ sub: 'bench' }) }) });

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<RequestLike & Record<symbol, unknown>>();
    req[REQUEST_STATE] = this.outcome;
    req.user = this.outcome.result.user;
    return true;
  }
}

/**
 * The bare RS256 check (node:crypto, on this thread) of the request's tokens: the Bearer or
 * ACCESSTOKEN token, and IDTOKEN when sent. No claims, no cache, nothing else: the yardstick of
 * "the signature's cost" over HTTP, under the same load as the other routes.
 */
@Injectable()
export class BareRs256Guard implements CanActivate {
  constructor(@Inject(SIGNING_KEY) private readonly key: KeyObject) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<RequestLike>();
    const tokens = [bearer(req) ?? req.headers.accesstoken, req.headers.idtoken];
    let checked = 0;
    for (const token of tokens) {
      if (typeof token !== 'string') continue;
      const dot = token.lastIndexOf('.');
      if (!cryptoVerify('sha256', Buffer.from(token.slice(0, dot), 'latin1'), this.key, Buffer.from(token.slice(dot + 1), 'base64url'))) {
        throw new UnauthorizedException();
      }
      checked++;
    }
    if (checked === 0) throw new UnauthorizedException();
    return true;
  }
}
