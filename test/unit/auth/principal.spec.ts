import { buildPrincipal } from '../../../src/auth/principal.js';
import { deepFreeze } from '../../../src/tokens/compact-jws.decoder.js';
import type { CognitoAccessTokenClaims, CognitoIdTokenClaims } from '../../../src/tokens/token.types.js';

const ISS = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Unit';
const base = { iss: ISS, exp: 2_000_000_000, iat: 1_900_000_000 };
const access = (extra: Record<string, unknown> = {}): CognitoAccessTokenClaims =>
  ({
    ...base,
    sub: 'u-1',
    token_use: 'access',
    client_id: 'web',
    username: 'alice',
    scope: 'openid  profile',
    ...extra,
  }) as CognitoAccessTokenClaims;
const id = (extra: Record<string, unknown> = {}): CognitoIdTokenClaims =>
  ({
    ...base,
    sub: 'u-1',
    token_use: 'id',
    aud: 'web',
    'cognito:username': 'alice',
    email: 'a@example.test',
    ...extra,
  }) as CognitoIdTokenClaims;

describe('buildPrincipal', () => {
  it("a lone verified token's identity shares its deep-frozen claims and groups (no copies)", () => {
    const claims = deepFreeze(access({ 'cognito:groups': ['admin', 'staff'] }));
    const principal = buildPrincipal({ access: claims }, 'staff-pool');
    expect(principal.claims).toBe(claims);
    expect(principal.groups).toBe(claims['cognito:groups']);
    expect(principal).toEqual({
      kind: 'user',
      pool: 'staff-pool',
      sub: 'u-1',
      username: 'alice',
      email: undefined,
      groups: ['admin', 'staff'],
      scopes: ['openid', 'profile'],
      clientId: 'web',
      claims,
    });
    expect(Object.isFrozen(principal) && Object.isFrozen(principal.scopes)).toBe(true);
  });

  it('claims not frozen (built by hand) are copied and frozen, never frozen in place', () => {
    const claims = id({ 'cognito:groups': ['a'] });
    const principal = buildPrincipal({ id: claims });
    expect(principal.groups).not.toBe(claims['cognito:groups']);
    expect(Object.isFrozen(principal.groups)).toBe(true);
    expect(Object.isFrozen(claims['cognito:groups'])).toBe(false);
    expect(principal).toMatchObject({ username: 'alice', email: 'a@example.test', clientId: 'web', groups: ['a'], scopes: [] });
  });

  it("a pair: merged claims (the ID token's win), groups of both without repeats", () => {
    const pair = {
      access: deepFreeze(access({ 'cognito:groups': ['b', 'c'], shared: 'from-access' })),
      id: deepFreeze(id({ 'cognito:groups': ['a', 'b'], shared: 'from-id' })),
    };
    const principal = buildPrincipal(pair);
    expect(principal.claims).toEqual({ ...pair.access, ...pair.id });
    expect(principal.claims.shared).toBe('from-id');
    expect(principal.groups).toEqual(['a', 'b', 'c']);
    expect(Object.isFrozen(principal.claims) && Object.isFrozen(principal.groups)).toBe(true);
  });

  it("a pair where one token has no groups takes the other one's array as it is", () => {
    const pair = { access: deepFreeze(access()), id: deepFreeze(id({ 'cognito:groups': ['x'] })) };
    expect(buildPrincipal(pair).groups).toBe(pair.id['cognito:groups']);
    const none = buildPrincipal({ access: deepFreeze(access()), id: deepFreeze(id()) });
    expect(none.groups).toEqual([]);
    expect(Object.isFrozen(none.groups)).toBe(true);
  });

  it('a client-credentials access token is a machine', () => {
    const principal = buildPrincipal({ access: deepFreeze(access({ sub: 'web', username: undefined })) });
    expect(principal).toMatchObject({ kind: 'machine', sub: 'web', username: undefined, clientId: 'web' });
  });
});
