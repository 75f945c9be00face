import { CognitoConfigError } from '../errors/cognito-auth.errors.js';
import type {
  CognitoAuthModuleOptions,
  CognitoHostedUiOptions,
  ResolvedFlowsSettings,
  ResolvedHostedUiSettings,
} from './cognito-auth.options.js';
import { checkUrl, missingName, type SettingsReader, type Sourced } from './settings.reader.js';

/** One path segment of a route prefix (RFC 3986 unreserved characters). */
const PATH = /^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/;
/** An OAuth scope token (RFC 6749 section 3.3). */
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** A bare host name, for a domain given without a scheme. */
const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$/;

/**
 * The sign-in flows' settings: whether the controller is on and where, and the hosted UI (on when
 * a domain is set). The hosted UI signs the `cognito_oauth` cookie with the state key, so it needs
 * `COGNITO_STATE_KEY` (`sharedState.stateKey`; its length is checked with the shared-state
 * settings). The controller alone does not: without the key its challenge sessions are sealed
 * with a random per-process key, and the flow service warns once.
 */
export function resolveFlows(o: CognitoAuthModuleOptions, reader: SettingsReader): ResolvedFlowsSettings {
  const f = o.flows ?? {};
  if (typeof f !== 'object' || f === null) throw new CognitoConfigError('flows', 'must be an options object');
  // An option only: the module registers the controller when it is built, before any environment is read.
  if (f.controller !== undefined && typeof f.controller !== 'boolean')
    throw new CognitoConfigError('flows.controller', 'must be true or false');
  const controller = f.controller ?? false;
  const path = resolvePath(f.path);
  const hostedUi = resolveHostedUi(f.hostedUi, reader);
  if (hostedUi && !reader.str('sharedState.stateKey', o.sharedState?.stateKey, ['COGNITO_STATE_KEY'])) {
    throw new CognitoConfigError(
      'COGNITO_STATE_KEY',
      `is required with the hosted UI (${hostedUi.source}): it signs the cognito_oauth cookie; set it, or sharedState.stateKey, to at least 32 random characters`,
    );
  }
  return { controller, path, hostedUi: hostedUi?.value };
}

function resolvePath(given: string | undefined): string {
  if (given === undefined) return 'auth';
  const trimmed = typeof given === 'string' ? given.trim().replace(/^\/+|\/+$/g, '') : undefined;
  if (trimmed === undefined || !PATH.test(trimmed)) {
    throw new CognitoConfigError('flows.path', `must be a route prefix such as "auth" (got "${String(given)}")`);
  }
  return trimmed;
}

function resolveHostedUi(given: CognitoHostedUiOptions | undefined, reader: SettingsReader): Sourced<ResolvedHostedUiSettings> | undefined {
  const h = given ?? {};
  if (typeof h !== 'object' || h === null) throw new CognitoConfigError('flows.hostedUi', 'must be an options object');
  const domain = reader.str('flows.hostedUi.domain', h.domain, ['COGNITO_DOMAIN']);
  const redirect = reader.str('flows.hostedUi.redirectUri', h.redirectUri, ['COGNITO_REDIRECT_URI']);
  if (!domain) {
    if (redirect) {
      const name = missingName(redirect, 'flows.hostedUi.domain', 'COGNITO_DOMAIN');
      throw new CognitoConfigError(name, `is required with ${redirect.source}: the hosted UI needs the user pool domain`);
    }
    return undefined;
  }
  if (!redirect) {
    const name = missingName(domain, 'flows.hostedUi.redirectUri', 'COGNITO_REDIRECT_URI');
    throw new CognitoConfigError(name, `is required with ${domain.source}: the callback URL registered on the app client`);
  }
  const value: ResolvedHostedUiSettings = {
    domain: resolveDomain(domain),
    redirectUri: checkUrl(redirect),
    scopes: resolveScopes(h.scopes, reader),
    afterLogin: resolveAfterLogin(h.afterLogin),
  };
  return { value, source: domain.source };
}

/** `https://<host>` for a bare host, else an http(s) URL with no path, query or fragment; no trailing slash. */
function resolveDomain(domain: Sourced<string>): string {
  const raw = HOST.test(domain.value) ? `https://${domain.value}` : domain.value;
  const url = new URL(checkUrl({ value: raw, source: domain.source }));
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) {
    throw new CognitoConfigError(
      domain.source,
      `must be the user pool domain alone, e.g. https://auth.example.com (got "${domain.value}")`,
    );
  }
  return url.origin;
}

function resolveScopes(given: readonly string[] | string | undefined, reader: SettingsReader): readonly string[] {
  let source = 'flows.hostedUi.scopes';
  let list: readonly unknown[];
  if (given === undefined) {
    const env = reader.read(['COGNITO_SCOPES']);
    if (!env) return Object.freeze(['openid']);
    source = env.source;
    list = env.value.split(/\s+/);
  } else {
    list = typeof given === 'string' ? given.trim().split(/\s+/) : Array.isArray(given) ? given : [given];
  }
  const scopes = list.filter((s) => s !== '');
  if (scopes.length === 0 || !scopes.every((s): s is string => typeof s === 'string' && SCOPE.test(s))) {
    throw new CognitoConfigError(source, 'must be OAuth scopes separated by spaces, e.g. "openid email"');
  }
  return Object.freeze([...new Set(scopes)]);
}

/** A path on this site (`/`, `/home`: never `//host`, which browsers read as another site) or an http(s) URL. */
function resolveAfterLogin(given: string | undefined): string {
  if (given === undefined) return '/';
  const source = 'flows.hostedUi.afterLogin';
  if (typeof given !== 'string' || given.trim() === '')
    throw new CognitoConfigError(source, 'must be a path such as "/" or an http(s) URL');
  const value = given.trim();
  if (value.startsWith('/')) {
    if (value.startsWith('//') || value.startsWith('/\\') || /[\s\\]/.test(value)) {
      throw new CognitoConfigError(source, `must be a path on this site (got "${value}")`);
    }
    return value;
  }
  return checkUrl({ value, source });
}
