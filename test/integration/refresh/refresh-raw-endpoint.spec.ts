/**
 * TokenRefreshService against a bare HTTP server that answers whatever a test wants: response
 * shapes no real Cognito (or the TestIdentityProvider) produces on purpose.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { AuthUnavailableError, RefreshFailedError } from '../../../src/errors/cognito-auth.errors.js';
import { resolveCognitoSettings } from '../../../src/options/settings.resolver.js';
import { TokenRefreshService } from '../../../src/tokens/token-refresh.service.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const CLIENT = 'rawclient1';
let TOKEN = 'rawRefreshToken-0123456789abcdefghijklmnopqrstuvwxyz';
let tokenCounter = 0;

describe('TokenRefreshService against odd answers', () => {
  let server: Server;
  const sockets = new Set<Socket>();
  let handler: Handler = (_req, res) => res.end('{}');
  let service: TokenRefreshService;
  let requests = 0;

  const json =
    (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
    (_req, res) => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', ...headers });
      res.end(text);
    };
  const cognitoError = (status: number, type: string, message = 'whatever'): Handler =>
    json(status, { __type: type, message }, { 'x-amzn-ErrorType': type });

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++;
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => handler(req, res, body));
    });
    server.on('connection', (s) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    service = new TokenRefreshService(
      resolveCognitoSettings(
        { userPoolId: 'local_Raw1', clientId: CLIENT, endpoint: `http://127.0.0.1:${port}`, cognitoTimeoutMs: 1500 },
        () => undefined,
      ),
    );
  });

  beforeEach(() => {
    requests = 0;
    // A new refresh token per case: the service keeps recent successful refreshes for a few seconds.
    TOKEN = `rawRefreshToken-${++tokenCounter}-0123456789abcdefghijklmnopqrstuvwxyz`;
  });

  afterAll(async () => {
    service.onModuleDestroy();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  // One user per case too: the service allows 10 refresh attempts a minute per user.
  const refresh = () => service.refresh({ refreshToken: TOKEN, clientId: CLIENT, sub: `raw-user-${tokenCounter}` });

  it('sends REFRESH_TOKEN_AUTH with the refresh token and no SECRET_HASH, unsigned', async () => {
    let seen: { target?: string; auth?: string; body?: Record<string, unknown> } = {};
    handler = (req, res, body) => {
      seen = { target: req.headers['x-amz-target'] as string, auth: req.headers.authorization, body: JSON.parse(body) };
      json(200, { AuthenticationResult: { AccessToken: 'a.b.c', IdToken: 'd.e.f', ExpiresIn: 3600 } })(req, res, body);
    };
    await expect(refresh()).resolves.toEqual({ accessToken: 'a.b.c', idToken: 'd.e.f' });
    expect(seen.target).toBe('AWSCognitoIdentityProviderService.InitiateAuth');
    expect(seen.auth).toBeUndefined();
    expect(seen.body).toEqual({ AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: CLIENT, AuthParameters: { REFRESH_TOKEN: TOKEN } });
  });

  it.each<[string, Handler]>([
    ['no AuthenticationResult', json(200, {})],
    ['a challenge instead of tokens', json(200, { ChallengeName: 'SMS_MFA', Session: 's', ChallengeParameters: {} })],
    ['no IdToken', json(200, { AuthenticationResult: { AccessToken: 'a.b.c' } })],
    ['no AccessToken', json(200, { AuthenticationResult: { IdToken: 'a.b.c' } })],
    ['NotAuthorizedException', cognitoError(400, 'NotAuthorizedException', `Invalid Refresh Token ${TOKEN}`)],
    ['InvalidParameterException', cognitoError(400, 'InvalidParameterException')],
    ['UserNotFoundException', cognitoError(400, 'UserNotFoundException')],
    ['UserNotConfirmedException', cognitoError(400, 'UserNotConfirmedException')],
    ['PasswordResetRequiredException', cognitoError(400, 'PasswordResetRequiredException')],
    ['ResourceNotFoundException', cognitoError(400, 'ResourceNotFoundException')],
    ['RefreshTokenReuseException', cognitoError(400, 'RefreshTokenReuseException')],
    ['an unknown 400 Cognito exception', cognitoError(400, 'SomeBrandNewRefusalException')],
  ])('maps %s to RefreshFailedError', async (_name, h) => {
    handler = h;
    const err = await refresh().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefreshFailedError);
    expect(requests).toBe(1); // refusals are not retried
  });

  it.each<[string, Handler]>([
    ['TooManyRequestsException', cognitoError(400, 'TooManyRequestsException')],
    ['LimitExceededException', cognitoError(400, 'LimitExceededException')],
    ['InternalErrorException', cognitoError(500, 'InternalErrorException')],
    ['a 502 HTML page', json(502, '<html>Bad Gateway</html>', { 'content-type': 'text/html' })],
    ['a 503 with an empty body', json(503, '')],
    ['a proxy 403 HTML page', json(403, '<html>Forbidden</html>', { 'content-type': 'text/html' })],
    ['a 429', json(429, '{}')],
    ['a 200 that is not JSON', json(200, 'not json at all')],
    ['a reset connection', (req) => req.socket.destroy()],
    [
      'a half-sent answer',
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': '500' });
        res.write('{"AuthenticationResult":');
        setTimeout(() => res.socket?.destroy(), 10);
      },
    ],
  ])('maps %s to AuthUnavailableError', async (_name, h) => {
    handler = h;
    const err = await refresh().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthUnavailableError);
    expect((err as AuthUnavailableError).retryAfterSeconds).toBe(5);
  });
});
