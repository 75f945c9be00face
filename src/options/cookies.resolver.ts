import { CognitoConfigError } from '../errors/cognito-auth.errors.js';
import type { CognitoAuthModuleOptions, CognitoAuthSettings, CookieSameSite } from './cognito-auth.options.js';
import type { SettingsReader } from './settings.reader.js';

const SAME_SITES: readonly CookieSameSite[] = ['lax', 'strict', 'none'];
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const COOKIE_DOMAIN = /^\.?[A-Za-z0-9.-]+$/;
const HOST_PREFIX = '__Host-';

/**
 * The cookie settings. `SameSite=None` needs `Secure` (browsers drop such cookies otherwise).
 * With `hostPrefix` the names get `__Host-`, which browsers honour only on `Secure` cookies
 * with `Path=/` and no `Domain` (RFC 6265bis, cookie name prefixes): so it needs `secure` and
 * refuses a `domain`.
 */
export function resolveCookies(o: CognitoAuthModuleOptions, reader: SettingsReader): CognitoAuthSettings['cookies'] {
  const c = o.cookies ?? {};
  const sameSiteSrc =
    c.sameSite !== undefined ? { value: c.sameSite, source: 'cookies.sameSite' } : reader.read(['COGNITO_COOKIE_SAMESITE']);
  const sameSite = (
    typeof sameSiteSrc?.value === 'string' ? sameSiteSrc.value.toLowerCase() : (sameSiteSrc?.value ?? 'lax')
  ) as CookieSameSite;
  if (!SAME_SITES.includes(sameSite)) {
    throw new CognitoConfigError(sameSiteSrc!.source, `must be one of ${SAME_SITES.join(', ')} (got "${String(sameSiteSrc!.value)}")`);
  }
  const secure = reader.bool('cookies.secure', c.secure, 'SECURE_COOKIE', true);
  if (sameSite === 'none' && !secure) {
    throw new CognitoConfigError(sameSiteSrc!.source, 'SameSite=None needs Secure cookies (browsers drop them otherwise)');
  }
  const domain = reader.str('cookies.domain', c.domain, ['COGNITO_COOKIE_DOMAIN']);
  if (domain && !COOKIE_DOMAIN.test(domain.value)) throw new CognitoConfigError(domain.source, 'is not a valid cookie domain');

  const hostPrefix = reader.boolSourced('cookies.hostPrefix', c.hostPrefix, 'COGNITO_COOKIE_HOST_PREFIX', false);
  if (hostPrefix.value && domain) {
    throw new CognitoConfigError(
      hostPrefix.source,
      `a __Host- cookie cannot carry a Domain: unset ${domain.source} or turn the prefix off`,
    );
  }
  if (hostPrefix.value && !secure) {
    throw new CognitoConfigError(
      hostPrefix.source,
      'a __Host- cookie must be Secure: turn Secure cookies on (SECURE_COOKIE / cookies.secure)',
    );
  }
  const names = { access: c.names?.access ?? 'AccessToken', id: c.names?.id ?? 'IdToken', refresh: c.names?.refresh ?? 'RefreshToken' };
  for (const [kind, name] of Object.entries(names)) {
    if (typeof name !== 'string' || !COOKIE_NAME.test(name))
      throw new CognitoConfigError(`cookies.names.${kind}`, 'is not a valid cookie name');
  }
  const prefixed = (name: string): string => (!hostPrefix.value || name.startsWith(HOST_PREFIX) ? name : HOST_PREFIX + name);

  return {
    enabled: reader.bool('cookies.enabled', c.enabled, 'COGNITO_COOKIES', false),
    httpOnly: reader.bool('cookies.httpOnly', c.httpOnly, 'HTTP_ONLY_COOKIE', true),
    secure,
    sameSite,
    maxAgeSeconds: reader.int('cookies.maxAgeSeconds', c.maxAgeSeconds, 'COGNITO_COOKIE_MAX_AGE', 2_592_000, 1),
    domain: domain?.value,
    hostPrefix: hostPrefix.value,
    names: { access: prefixed(names.access), id: prefixed(names.id), refresh: prefixed(names.refresh) },
  };
}
