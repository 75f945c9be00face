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
    expect(principal).toStrictEqual({
      kind: 'user',
      pool: 'staff-pool',
      sub: 'u-1',
      username: 'alice',
      groups: ['admin', 'staff'],
      scopes: ['openid', 'profile'],
      clientId: 'web',
    });
    expect(principal.email).toBeUndefined();
    expect(Object.isFrozen(principal) && Object.isFrozen(principal.scopes)).toBe(true);
  });

  it('claims not frozen (built by hand) are copied and frozen, never frozen in place', () => {
    const claims = id({ 'cognito:groups': ['a'] });
    const principal = buildPrincipal({ id: claims });
    expect(principal.groups).not.toBe(claims['cognito:groups']);
    expect(Object.isFrozen(principal.groups)).toBe(true);
    expect(Object.isFrozen(claims['cognito:groups'])).toBe(false);
    expect(principal).toMatchObject({ username: 'alice', clientId: 'web', groups: ['a'], scopes: [] });
    expect(principal.email).toBe('a@example.test');
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
    expect(principal).toMatchObject({ kind: 'machine', sub: 'web', clientId: 'web' });
    expect(principal.username).toBeUndefined();
  });

  describe('the documented shape: what is serialised, spread and compared', () => {
    const pair = () => ({
      access: deepFreeze(access({ 'cognito:groups': ['staff'], 'custom:tenant': 'acme' })),
      id: deepFreeze(id({ 'cognito:groups': ['staff'] })),
    });
    const machine = () => deepFreeze(access({ sub: 'robot', client_id: 'robot', username: undefined, scope: 'reports/read' }));
    /** What the pair and the machine token above serialise to: the documented shape, nothing more. */
    const ALICE = {
      kind: 'user',
      pool: 'staff',
      sub: 'u-1',
      username: 'alice',
      groups: ['staff'],
      scopes: ['openid', 'profile'],
      clientId: 'web',
    };
    const ROBOT = { kind: 'machine', pool: 'default', sub: 'robot', groups: [], scopes: ['reports/read'], clientId: 'robot' };

    it("a user's own enumerable members are exactly kind, pool, sub, username, groups, scopes, clientId", () => {
      const principal = buildPrincipal(pair(), 'staff');
      expect(Object.keys(principal)).toEqual(['kind', 'pool', 'sub', 'username', 'groups', 'scopes', 'clientId']);
      expect(principal).toStrictEqual(ALICE);
      expect({ ...principal }).toStrictEqual(ALICE);
    });

    it('a machine has no username member at all (not one holding undefined)', () => {
      const principal = buildPrincipal({ access: machine() });
      expect(Object.keys(principal)).toEqual(['kind', 'pool', 'sub', 'groups', 'scopes', 'clientId']);
      expect('username' in principal).toBe(false);
      expect(principal).toStrictEqual(ROBOT);
    });

    it('JSON round trip: the pinned literal, no claims and no email', () => {
      expect(JSON.parse(JSON.stringify(buildPrincipal(pair(), 'staff')))).toStrictEqual(ALICE);
      expect(JSON.parse(JSON.stringify(buildPrincipal({ access: machine() })))).toStrictEqual(ROBOT);
    });

    it('claims and email still read as before: own, non-enumerable, read-only members', () => {
      const tokens = pair();
      const principal = buildPrincipal(tokens, 'staff');
      expect(principal.email).toBe('a@example.test');
      expect(principal.claims).toEqual({ ...tokens.access, ...tokens.id });
      expect(principal.claims['custom:tenant']).toBe('acme');
      expect(principal.claims.token_use).toBe('id');
      for (const name of ['email', 'claims']) {
        expect(Object.getOwnPropertyDescriptor(principal, name)).toMatchObject({ enumerable: false, writable: false, configurable: false });
      }
      const lone = machine();
      const robot = buildPrincipal({ access: lone });
      expect(robot.claims).toBe(lone);
      expect(robot.email).toBeUndefined();
      expect(Object.prototype.hasOwnProperty.call(robot, 'email')).toBe(true);
    });

    it('stays frozen', () => {
      const principal = buildPrincipal(pair());
      expect(Object.isFrozen(principal)).toBe(true);
      expect(() => {
        (principal as { sub: string }).sub = 'x';
      }).toThrow(TypeError);
      expect(() => Object.defineProperty(principal, 'claims', { value: {} })).toThrow(TypeError);
    });
  });
});
