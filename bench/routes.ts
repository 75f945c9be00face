/**
 * The routes the bench loads, on which server, with which request, and the baseline each is
 * compared with (the unguarded route of the same server and kind, in the same round).
 */
import type { IssuedTokens } from '../src/testing/index.js';
import { GRAPHQL_QUERIES } from './graphql.js';
import type { Headers, RequestShape } from './load.js';

export type ServerName = 'express' | 'fastify';

export interface RouteDef {
  /** Unique name in the tables: the path, prefixed by `fastify` on the Fastify server; GraphQL fields as `graphql <field>`. */
  readonly id: string;
  readonly server: ServerName;
  /** The URL path on its server. */
  readonly path: string;
  readonly label: string;
  /** `bearer`: Authorization: Bearer <access>; `pair`: ACCESSTOKEN + IDTOKEN headers. */
  readonly auth: 'bearer' | 'pair';
  /** The id of the route it is compared with (itself for a baseline). */
  readonly baseline: string;
  readonly shape?: RequestShape;
  readonly peer?: boolean;
  /** A CognitoGuard route: its verified-token cache is filled before the rounds. */
  readonly cognito?: boolean;
  /** Also loaded with a new token on every request. */
  readonly distinct?: boolean;
  /** The DataSource whose statements are counted (user sync routes). */
  readonly database?: string;
}

const JSON_POST = (body: string): RequestShape => ({ method: 'POST', body, headers: { 'content-type': 'application/json' } });

function express(path: string, label: string, more: Partial<RouteDef> = {}): RouteDef {
  return { id: path, server: 'express', path, label, auth: 'bearer', baseline: '/baseline', ...more };
}

function fastify(path: string, label: string, more: Partial<RouteDef> = {}): RouteDef {
  return {
    id: `fastify ${path}`,
    server: 'fastify',
    path,
    label: `Fastify: ${label}`,
    auth: 'bearer',
    baseline: 'fastify /baseline',
    ...more,
  };
}

function graphql(server: ServerName, field: keyof typeof GRAPHQL_QUERIES, label: string, more: Partial<RouteDef> = {}): RouteDef {
  const id = `${server === 'fastify' ? 'fastify ' : ''}graphql ${field}`;
  const baseline = `${server === 'fastify' ? 'fastify ' : ''}graphql open`;
  return {
    id,
    server,
    path: '/graphql',
    label,
    auth: 'bearer',
    baseline,
    shape: JSON_POST(GRAPHQL_QUERIES[field]),
    distinct: true,
    ...more,
  };
}

export const ROUTES: readonly RouteDef[] = [
  express('/baseline', 'no guard (baseline)', { distinct: true }),
  express('/noop-guard', 'a guard returning true (Nest guard floor)'),
  express('/req-props', 'a guard setting the state and req.user only (diagnostic)'),
  express('/rs256', 'bare RS256 check of the access token (yardstick)', { distinct: true }),
  express('/rs256-pair', 'bare RS256 check of both tokens (yardstick)', { auth: 'pair', distinct: true }),
  express('/access', 'CognitoGuard, access', { cognito: true, distinct: true }),
  express('/id-access', 'CognitoGuard, id+access', { auth: 'pair', cognito: true, distinct: true }),
  express('/sync-sqlite', 'CognitoGuard, id+access, user sync SQLite', { auth: 'pair', cognito: true, database: 'sqlite' }),
  express('/sync-sqlite-nocache', 'the same, users.cacheTtlSeconds 0 (a query per request)', {
    auth: 'pair',
    cognito: true,
    database: 'sqlite-nocache',
  }),
  express('/sync-postgres', 'CognitoGuard, id+access, user sync PostgreSQL', { auth: 'pair', cognito: true, database: 'postgres' }),
  express('/aws-jwt-verify', 'aws-jwt-verify (JWKS preloaded)', { peer: true, distinct: true }),
  express('/passport-jwt', 'passport-jwt + jwks-rsa', { peer: true, distinct: true }),
  express('/jose', 'jose jwtVerify', { peer: true, distinct: true }),
  graphql('express', 'open', 'Apollo: query { open }, no guard (GraphQL baseline)'),
  graphql('express', 'noop', 'Apollo: query { noop }, a guard returning true', { distinct: false }),
  graphql('express', 'guarded', 'Apollo: query { guarded }, CognitoGuard, access', { cognito: true }),
  fastify('/baseline', 'no guard (baseline)', { distinct: true }),
  fastify('/noop-guard', 'a guard returning true'),
  fastify('/req-props', 'a guard setting the state and req.user only'),
  fastify('/rs256', 'bare RS256 check (yardstick)', { distinct: true }),
  fastify('/access', 'CognitoGuard, access', { cognito: true, distinct: true }),
  fastify('/id-access', 'CognitoGuard, id+access', { auth: 'pair', cognito: true, distinct: true }),
  graphql('fastify', 'open', 'Mercurius: query { open }, no guard (GraphQL baseline)'),
  graphql('fastify', 'noop', 'Mercurius: query { noop }, a guard returning true', { distinct: false }),
  graphql('fastify', 'guarded', 'Mercurius: query { guarded }, CognitoGuard, access', { cognito: true }),
];

export const PEERS = ROUTES.filter((r) => r.peer).map((r) => r.id);

export function headersFor(route: Pick<RouteDef, 'auth'>, t: Pick<IssuedTokens, 'accessToken' | 'idToken'>): Headers {
  return route.auth === 'bearer' ? { authorization: `Bearer ${t.accessToken}` } : { accesstoken: t.accessToken, idtoken: t.idToken };
}

/** Round r's order: rotated by r·n/rounds, reversed on odd rounds, so no route is always first or last. */
export function order<T>(items: readonly T[], r: number, rounds: number): T[] {
  const shift = Math.floor((r * items.length) / rounds) % items.length;
  const rotated = [...items.slice(shift), ...items.slice(0, shift)];
  return r % 2 === 1 ? rotated.reverse() : rotated;
}
