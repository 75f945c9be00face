import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FlowsContext } from './flows-context.js';
import { safeEqual } from './flows-wire.js';

/** Switches of the hosted UI; change them at any time. */
export interface TestOAuthControls {
  /** `/oauth2/authorize` signs this user in at once (as with a live hosted UI session) instead of showing the form. */
  signInAs?: string;
  /** `/oauth2/authorize` answers `error=access_denied` (the user cancelled). */
  deny?: boolean;
  /** Allowed `redirect_uri`s; default any http(s) URL. */
  callbackUrls?: readonly string[];
  /** Scopes `client_credentials` may grant; default any requested. */
  machineScopes?: readonly string[];
}

/** What the hosted UI needs from the provider besides the flows. */
export interface OAuthDeps {
  readonly ctx: FlowsContext;
  readonly issuer: string;
  signToken(payload: Record<string, unknown>): Promise<string>;
  delay(ms: number): Promise<void>;
}

interface AuthCode {
  readonly username: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly challenge: string | undefined;
  readonly nonce: string | undefined;
  readonly scopes: readonly string[];
  readonly expiresAtMs: number;
  used: boolean;
}

/** Authorization codes live 5 minutes, as at Cognito. */
const CODE_TTL_MS = 300_000;
const MAX_FORM_BYTES = 64 * 1024;
const AUTHORIZE_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'state',
  'scope',
  'code_challenge',
  'code_challenge_method',
  'nonce',
  'identity_provider',
];

class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly status = 400,
  ) {
    super(error);
  }
}

/**
 * Cognito's hosted UI endpoints for tests: `GET /oauth2/authorize` (a login form, or an immediate
 * sign-in with `controls.signInAs`), `POST /login` (the form), and `POST /oauth2/token` with
 * `authorization_code` (PKCE S256 checked, codes single-use and bound to client and redirect URI)
 * and `client_credentials` (a machine access token: no `username`, `sub` = client id).
 */
export class TestOAuth {
  /** Switches (mutable). */
  readonly controls: TestOAuthControls = {};
  private readonly codes = new Map<string, AuthCode>();

  constructor(private readonly deps: OAuthDeps) {}

  /** True for the paths this class answers. */
  handles(method: string | undefined, path: string): boolean {
    return (method === 'GET' && path === '/oauth2/authorize') || (method === 'POST' && (path === '/login' || path === '/oauth2/token'));
  }

  /** Answers one request. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    try {
      if (url.pathname === '/oauth2/authorize') return this.authorize(Object.fromEntries(url.searchParams), res);
      const form = await readForm(req);
      if (url.pathname === '/login') return this.login(form, res);
      await this.token(req, form, res);
    } catch (err) {
      const e = err instanceof OAuthError ? err : new OAuthError('server_error', 500);
      sendJson(res, e.status, { error: e.error });
    }
  }

  private authorize(q: Record<string, string>, res: ServerResponse): void {
    this.deps.ctx.count('oauth2/authorize');
    const redirect = this.redirectTarget(q);
    if (!redirect) return sendText(res, 400, 'invalid_request: unknown client_id or redirect_uri');
    if (q['response_type'] !== 'code') return redirectTo(res, redirect, { error: 'unsupported_response_type', state: q['state'] });
    if (q['code_challenge'] !== undefined && q['code_challenge_method'] !== 'S256')
      return redirectTo(res, redirect, { error: 'invalid_request', state: q['state'] });
    if (this.controls.deny) return redirectTo(res, redirect, { error: 'access_denied', state: q['state'] });
    const user = this.controls.signInAs !== undefined ? this.deps.ctx.users.find(this.controls.signInAs) : undefined;
    if (user) return redirectTo(res, redirect, { code: this.issueCode(user.username, q), state: q['state'] });
    sendHtml(res, 200, loginForm(q, undefined));
  }

  private login(form: Record<string, string>, res: ServerResponse): void {
    this.deps.ctx.count('login');
    const redirect = this.redirectTarget(form);
    if (!redirect) return sendText(res, 400, 'invalid_request: unknown client_id or redirect_uri');
    const user = this.deps.ctx.users.find(form['username'] ?? '');
    if (!user || !user.enabled || user.status !== 'CONFIRMED' || !safeEqual(user.password, form['password'] ?? '')) {
      return sendHtml(res, 200, loginForm(form, 'Incorrect username or password.'));
    }
    redirectTo(res, redirect, { code: this.issueCode(user.username, form), state: form['state'] });
  }

  /** The redirect URI when the client is known and the URI allowed; undefined otherwise. */
  private redirectTarget(q: Record<string, string>): URL | undefined {
    const uri = q['redirect_uri'];
    if (!q['client_id'] || !this.deps.ctx.clients.has(q['client_id']) || !uri) return undefined;
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      return undefined;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return this.controls.callbackUrls && !this.controls.callbackUrls.includes(uri) ? undefined : url;
  }

  private issueCode(username: string, q: Record<string, string>): string {
    const code = randomUUID();
    this.codes.set(code, {
      username,
      clientId: q['client_id']!,
      redirectUri: q['redirect_uri']!,
      challenge: q['code_challenge'],
      nonce: q['nonce'],
      scopes: (q['scope'] ?? 'openid').split(' ').filter(Boolean),
      expiresAtMs: this.deps.ctx.controls.now() + CODE_TTL_MS,
      used: false,
    });
    return code;
  }

  private async token(req: IncomingMessage, form: Record<string, string>, res: ServerResponse): Promise<void> {
    const { ctx } = this.deps;
    ctx.count('oauth2/token');
    if (ctx.controls.delayMs > 0) await this.deps.delay(ctx.controls.delayMs);
    if (ctx.controls.mode === 'hang') return;
    if (ctx.controls.mode === 'error') throw new OAuthError('server_error', 500);
    if (ctx.controls.mode !== 'ok') throw new OAuthError('too_many_requests', 429);
    const clientId = this.authenticateClient(req, form);
    const body =
      form['grant_type'] === 'authorization_code'
        ? await this.exchangeCode(clientId, form)
        : form['grant_type'] === 'client_credentials'
          ? await this.machineToken(clientId, form)
          : undefined;
    if (!body) throw new OAuthError('unsupported_grant_type');
    sendJson(res, 200, body);
  }

  /** Basic authentication, or `client_id` (and `client_secret`) in the form; a secret client must prove its secret. */
  private authenticateClient(req: IncomingMessage, form: Record<string, string>): string {
    let clientId = form['client_id'];
    let secret = form['client_secret'];
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new OAuthError('invalid_client');
      clientId = decoded.slice(0, colon);
      secret = decoded.slice(colon + 1);
    }
    const clients = this.deps.ctx.clients;
    if (!clientId || !clients.has(clientId)) throw new OAuthError('invalid_client');
    const expected = clients.get(clientId);
    if (expected !== undefined && (secret === undefined || !safeEqual(secret, expected))) throw new OAuthError('invalid_client');
    return clientId;
  }

  private async exchangeCode(clientId: string, form: Record<string, string>): Promise<Record<string, unknown>> {
    const code = this.codes.get(form['code'] ?? '');
    const ctx = this.deps.ctx;
    if (
      !code ||
      code.used ||
      code.expiresAtMs <= ctx.controls.now() ||
      code.clientId !== clientId ||
      code.redirectUri !== form['redirect_uri']
    ) {
      throw new OAuthError('invalid_grant');
    }
    if (code.challenge !== undefined) {
      const verifier = form['code_verifier'];
      const computed = verifier ? createHash('sha256').update(verifier, 'ascii').digest('base64url') : '';
      if (!verifier || !safeEqual(computed, code.challenge)) throw new OAuthError('invalid_grant');
    }
    code.used = true;
    const user = ctx.users.find(code.username);
    if (!user) throw new OAuthError('invalid_grant');
    const result = await ctx.mint(user, clientId, { idClaims: code.nonce ? { nonce: code.nonce } : {}, scopes: code.scopes });
    return {
      access_token: result['AccessToken'],
      id_token: result['IdToken'],
      refresh_token: result['RefreshToken'],
      expires_in: result['ExpiresIn'],
      token_type: 'Bearer',
    };
  }

  private async machineToken(clientId: string, form: Record<string, string>): Promise<Record<string, unknown>> {
    if (this.deps.ctx.clients.get(clientId) === undefined) throw new OAuthError('unauthorized_client');
    const allowed = this.controls.machineScopes;
    const requested = (form['scope'] ?? '').split(' ').filter(Boolean);
    const scopes = requested.length > 0 ? requested : [...(allowed ?? [])];
    if (allowed && scopes.some((s) => !allowed.includes(s))) throw new OAuthError('invalid_scope');
    const now = Math.floor(Date.now() / 1000);
    const token = await this.deps.signToken({
      sub: clientId,
      token_use: 'access',
      scope: scopes.join(' '),
      auth_time: now,
      iss: this.deps.issuer,
      exp: now + 3600,
      iat: now,
      version: 2,
      jti: randomUUID(),
      client_id: clientId,
    });
    return { access_token: token, expires_in: 3600, token_type: 'Bearer' };
  }
}

function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_FORM_BYTES) chunks.push(chunk);
    });
    req.once('error', reject);
    req.once('end', () => {
      if (size > MAX_FORM_BYTES) return reject(new OAuthError('invalid_request'));
      resolve(Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    });
  });
}

function redirectTo(res: ServerResponse, target: URL, params: Record<string, string | undefined>): void {
  const url = new URL(target);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  res.writeHead(302, { location: url.toString(), 'cache-control': 'no-store', 'content-length': 0 });
  res.end();
}

function sendJson(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json;charset=UTF-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(html),
  });
  res.end(html);
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The hosted UI's sign-in form: the authorize parameters as hidden fields, a user name and a password. */
function loginForm(q: Record<string, string>, error: string | undefined): string {
  const hidden = AUTHORIZE_PARAMS.filter((name) => q[name] !== undefined)
    .map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(q[name]!)}">`)
    .join('');
  return `<!doctype html><html><head><title>Sign in</title></head><body>${error ? `<p id="error">${escapeHtml(error)}</p>` : ''}<form method="post" action="/login">${hidden}<label>Username <input name="username" autocomplete="username"></label><label>Password <input name="password" type="password" autocomplete="current-password"></label><button type="submit">Sign in</button></form></body></html>`;
}
