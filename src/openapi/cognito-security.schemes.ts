import type { INestApplicationContext } from '@nestjs/common';
import { COGNITO_AUTH_SETTINGS } from '../cognito-auth.constants.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';

/**
 * The names of the OpenAPI security schemes `withCognitoSecurity` adds, which the routes guarded
 * by the library refer to. An OpenAPI `apiKey` scheme names one header or one cookie, so each
 * token slot the guard reads is its own scheme; a route that needs two tokens (the default
 * `id+access` mode) requires two schemes together.
 */
export const COGNITO_SECURITY_SCHEMES = {
  /** `Authorization: Bearer <access token>` (HTTP bearer, JWT). */
  bearer: 'cognito-bearer',
  /** The access token in the `ACCESSTOKEN` header. */
  headers: 'cognito-headers',
  /** The ID token in the `IDTOKEN` header. */
  headersId: 'cognito-headers-id',
  /** The access token in its cookie (`AccessToken` unless renamed). */
  cookies: 'cognito-cookies',
  /** The ID token in its cookie (`IdToken` unless renamed). */
  cookiesId: 'cognito-cookies-id',
} as const;

/** The name of one of the library's security schemes. */
export type CognitoSecuritySchemeName = (typeof COGNITO_SECURITY_SCHEMES)[keyof typeof COGNITO_SECURITY_SCHEMES];

/** An OpenAPI 3 security scheme object, as much of it as the library writes. */
export type CognitoSecuritySchemeObject =
  | { type: 'http'; scheme: 'bearer'; bearerFormat: 'JWT'; description: string }
  | { type: 'apiKey'; in: 'header' | 'cookie'; name: string; description: string };

/**
 * What `withCognitoSecurity` needs of a document builder: `addSecurity`, which `DocumentBuilder`
 * of `@nestjs/swagger` 11 and 12 has. Typed structurally, so this package's declarations do not
 * depend on `@nestjs/swagger` (an optional peer).
 */
export interface SecuritySchemeTarget {
  addSecurity(name: string, scheme: CognitoSecuritySchemeObject): unknown;
}

/** The header names the guard reads (any case; OpenAPI shows them as django-cognito-redux named them). */
const ACCESS_HEADER = 'ACCESSTOKEN';
const ID_HEADER = 'IDTOKEN';

function cookieNamesOf(app: Pick<INestApplicationContext, 'get'> | undefined): { access: string; id: string } {
  const fallback = { access: 'AccessToken', id: 'IdToken' };
  if (!app) return fallback;
  try {
    const settings = app.get<CognitoAuthSettings>(COGNITO_AUTH_SETTINGS, { strict: false });
    return { access: settings.cookies.names.access, id: settings.cookies.names.id };
  } catch {
    return fallback; // CognitoAuthModule is not in this app: the default names
  }
}

/**
 * The library's security schemes, by name. Cookie names come from the app's settings when `app`
 * is given (renamed or `__Host-` prefixed cookies), else the defaults.
 */
export function cognitoSecuritySchemes(
  app?: Pick<INestApplicationContext, 'get'>,
): Record<CognitoSecuritySchemeName, CognitoSecuritySchemeObject> {
  const cookies = cookieNamesOf(app);
  const S = COGNITO_SECURITY_SCHEMES;
  return {
    [S.bearer]: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: `Cognito access token as \`Authorization: Bearer <token>\`. Routes that need the ID token too take it in the ${ID_HEADER} header (${S.headersId}).`,
    },
    [S.headers]: { type: 'apiKey', in: 'header', name: ACCESS_HEADER, description: 'Cognito access token in the ACCESSTOKEN header.' },
    [S.headersId]: { type: 'apiKey', in: 'header', name: ID_HEADER, description: 'Cognito ID token in the IDTOKEN header.' },
    [S.cookies]: {
      type: 'apiKey',
      in: 'cookie',
      name: cookies.access,
      description: 'Cognito access token in its cookie (when cookies are on; set by the sign-in). Browsers send it by themselves.',
    },
    [S.cookiesId]: {
      type: 'apiKey',
      in: 'cookie',
      name: cookies.id,
      description: 'Cognito ID token in its cookie (when cookies are on; set by the sign-in).',
    },
  };
}

/**
 * Adds the library's security schemes to an `@nestjs/swagger` `DocumentBuilder`:
 * `cognito-bearer` (HTTP bearer, the access token), `cognito-headers` (the `ACCESSTOKEN` header),
 * `cognito-headers-id` (the `IDTOKEN` header), `cognito-cookies` and `cognito-cookies-id` (the
 * token cookies). Routes guarded by `CognitoGuard` refer to them; `@Public()` routes do not.
 *
 * ```ts
 * const config = withCognitoSecurity(new DocumentBuilder().setTitle('API'), app).build();
 * SwaggerModule.setup('docs', app, SwaggerModule.createDocument(app, config));
 * ```
 *
 * @param builder the document builder (returned, for chaining)
 * @param app the Nest app, to name renamed token cookies as configured; optional
 */
export function withCognitoSecurity<B extends SecuritySchemeTarget>(builder: B, app?: Pick<INestApplicationContext, 'get'>): B {
  for (const [name, scheme] of Object.entries(cognitoSecuritySchemes(app))) builder.addSecurity(name, scheme);
  return builder;
}
