import type { CognitoAuthModuleOptions, CognitoPoolOptions } from '../../../src/options/cognito-auth.options.js';
import { poolsOf } from '../../../src/options/pools.resolver.js';
import { resolveCognitoSettings } from '../../../src/options/settings.resolver.js';
import { testSettings } from '../../support/user-sync.js';
import { configError, envOf } from '../../support/settings.js';

const staff: CognitoPoolOptions = { name: 'staff', userPoolId: 'eu-west-1_Staff1', clientId: 'staff-web' };
const customers: CognitoPoolOptions = { name: 'customers', userPoolId: 'us-east-1_Cust1', clientId: ['cust-web', 'cust-app'] };

const resolve = (options: CognitoAuthModuleOptions, env: Record<string, string> = {}) => resolveCognitoSettings(options, envOf(env));

describe('several user pools (pools, COGNITO_POOLS)', () => {
  it('a single-pool app has one pool, named default, with the top-level values', () => {
    const s = resolveCognitoSettings(
      undefined,
      envOf({ COGNITO_POOL_ID: 'eu-west-1_AbC123', APP_CLIENT_ID: 'a,b', APP_CLIENT_SECRET: 'x' }),
    );
    expect(s.pools).toHaveLength(1);
    expect(s.pools![0]).toMatchObject({
      name: 'default',
      userPoolId: s.userPoolId,
      clientIds: ['a', 'b'],
      issuers: s.issuers,
      jwksUri: s.jwksUri,
      region: 'eu-west-1',
      replicas: [],
    });
    expect(s.pools![0].clientSecrets.get('a')).toBe('x');
  });

  it('resolves each listed pool on its own: region, issuers, key set, clients and secrets', () => {
    const s = resolve({ pools: [staff, { ...customers, clientSecret: { 'cust-app': 'app-secret' } }] });
    expect(s.pools!.map((p) => p.name)).toEqual(['staff', 'customers']);
    const [a, b] = s.pools!;
    expect(a.issuers).toEqual([
      'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Staff1',
      'https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Staff1',
    ]);
    expect(b.jwksUri).toBe('https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Cust1/.well-known/jwks.json');
    expect([a.region, b.region]).toEqual(['eu-west-1', 'us-east-1']);
    expect(b.clientIds).toEqual(['cust-web', 'cust-app']);
    expect(b.clientSecrets.get('cust-app')).toBe('app-secret');
    expect(a.clientSecrets.size).toBe(0);
  });

  it("keeps the top-level fields: the first pool's place, every pool's clients, secrets and issuers", () => {
    const s = resolve({ pools: [staff, { ...customers, clientSecret: 'web-secret' }] });
    expect(s.userPoolId).toBe('eu-west-1_Staff1');
    expect(s.region).toBe('eu-west-1');
    expect(s.jwksUri).toBe(s.pools![0].jwksUri);
    expect(s.clientIds).toEqual(['staff-web', 'cust-web', 'cust-app']);
    expect(s.clientSecrets.get('cust-web')).toBe('web-secret');
    expect(s.issuers).toEqual([...s.pools![0].issuers, ...s.pools![1].issuers]);
  });

  it('a userPoolId given as well is the pool named default, listed first', () => {
    const s = resolve({ userPoolId: 'eu-west-1_AbC123', clientId: 'main', pools: [staff] });
    expect(s.pools!.map((p) => [p.name, p.userPoolId])).toEqual([
      ['default', 'eu-west-1_AbC123'],
      ['staff', 'eu-west-1_Staff1'],
    ]);
    expect(s.clientIds[0]).toBe('main');
  });

  it('reads COGNITO_POOLS (a JSON list) beside COGNITO_POOL_ID, endpoints and replicas included', () => {
    const list = [{ name: 'local', userPoolId: 'local_Ab12', clientId: 'c1', endpoint: 'http://127.0.0.1:9229/' }, staff];
    const s = resolve({}, { COGNITO_POOL_ID: 'eu-west-1_AbC123', APP_CLIENT_ID: 'main', COGNITO_POOLS: JSON.stringify(list) });
    expect(s.pools!.map((p) => p.name)).toEqual(['default', 'local', 'staff']);
    expect(s.pools![1]).toMatchObject({ endpoint: 'http://127.0.0.1:9229', issuers: ['http://127.0.0.1:9229/local_Ab12'] });
  });

  it('given pools win over COGNITO_POOLS', () => {
    const s = resolve({ pools: [staff] }, { COGNITO_POOLS: JSON.stringify([customers]) });
    expect(s.pools!.map((p) => p.name)).toEqual(['staff']);
  });

  it("an empty list is no list: the module's own pool is required as before", () => {
    expect(configError(() => resolve({ pools: [] })).setting).toBe('COGNITO_POOL_ID');
    expect(resolve({ pools: [] }, { COGNITO_POOL_ID: 'eu-west-1_AbC123', APP_CLIENT_ID: 'c' }).pools).toHaveLength(1);
  });

  describe('stops start-up, naming the field', () => {
    it.each<[string, unknown, string]>([
      ['a pool without a pool id', [{ name: 'x', clientId: 'c' }], 'pools[0].userPoolId'],
      ['a bad pool id', [staff, { name: 'x', userPoolId: 'nope', clientId: 'c' }], 'pools[1].userPoolId'],
      ['no client', [{ name: 'x', userPoolId: 'eu-west-1_A1' }], 'pools[0].clientId'],
      ['an empty client', [{ name: 'x', userPoolId: 'eu-west-1_A1', clientId: ['a', ' '] }], 'pools[0].clientId'],
      ['a secret of an unknown client', [{ ...staff, clientSecret: { other: 's' } }], 'pools[0].clientSecret'],
      ['a region that contradicts the pool id', [{ ...staff, region: 'us-east-1' }], 'pools[0].region'],
      ['a bad endpoint', [{ ...staff, endpoint: 'ftp://x' }], 'pools[0].endpoint'],
      ['a blank issuer', [{ ...staff, issuer: ' ' }], 'pools[0].issuer'],
      ['a misspelt field', [{ ...staff, userPoolID: 'eu-west-1_A1' }], 'pools[0].userPoolID'],
      ['no name', [{ userPoolId: 'eu-west-1_A1', clientId: 'c' }], 'pools[0].name'],
      ['a name with spaces', [{ ...staff, name: 'the staff' }], 'pools[0].name'],
      ['an entry that is not an object', [staff, 'eu-west-1_A1'], 'pools[1]'],
      ['a pools value that is not a list', staff, 'pools'],
    ])('%s', (_what, pools, setting) => {
      const err = configError(() => resolve({ pools: pools as CognitoPoolOptions[] }));
      expect(err.setting).toBe(setting);
      expect(err.message).toContain(setting);
    });

    it('two pools with one name, or a listed "default" beside COGNITO_POOL_ID', () => {
      expect(configError(() => resolve({ pools: [staff, { ...customers, name: 'staff' }] })).message).toMatch(
        /two pools are named "staff"/,
      );
      const clash = configError(() =>
        resolve({ pools: [{ ...staff, name: 'default' }] }, { COGNITO_POOL_ID: 'us-east-1_Main1', APP_CLIENT_ID: 'm' }),
      );
      expect(clash.message).toMatch(/"default".*COGNITO_POOL_ID/);
    });

    it('two pools with one issuer (the same pool twice, or one issuer configured for both)', () => {
      const twice = configError(() => resolve({ pools: [staff, { ...staff, name: 'again', clientId: 'other' }] }));
      expect(twice.setting).toBe('pools');
      expect(twice.message).toMatch(/pools "staff" and "again" have one issuer/);
      const issuer = 'https://auth.example.com/pool';
      const shared = configError(() =>
        resolve({
          pools: [
            { ...staff, issuer },
            { ...customers, issuer },
          ],
        }),
      );
      expect(shared.message).toContain(issuer);
    });

    it('a pool listed both as COGNITO_POOL_ID and in COGNITO_POOLS: one issuer, named by the variable', () => {
      const env = { COGNITO_POOL_ID: staff.userPoolId, APP_CLIENT_ID: 'main', COGNITO_POOLS: JSON.stringify([staff]) };
      const err = configError(() => resolve({}, env));
      expect(err.setting).toBe('COGNITO_POOLS');
      expect(err.message).toMatch(/"default" and "staff" have one issuer/);
    });

    it('one app client in two pools (a refresh would not know which pool to ask)', () => {
      const err = configError(() => resolve({ pools: [staff, { ...customers, clientId: 'staff-web' }] }));
      expect(err.message).toMatch(/both list the app client "staff-web"/);
    });

    it('COGNITO_POOLS that is not a JSON list, without echoing the value (it may hold secrets)', () => {
      for (const raw of ['{not json', '{"name":"x"}', '"TOPSECRET"']) {
        const err = configError(() => resolve({}, { COGNITO_POOLS: raw.replace('x', 'TOPSECRET') }));
        expect(err.setting).toBe('COGNITO_POOLS');
        expect(err.message).not.toContain('TOPSECRET');
      }
      const entry = configError(() => resolve({}, { COGNITO_POOLS: JSON.stringify([{ name: 'x', userPoolId: 'eu-west-1_A1' }]) }));
      expect(entry.setting).toBe('COGNITO_POOLS[0].clientId');
    });

    it("never puts a pool's client secret in an error", () => {
      const err = configError(() => resolve({ pools: [{ ...staff, userPoolId: 'bad', clientSecret: 'TOPSECRETVALUE' }] }));
      expect(err.message).not.toContain('TOPSECRETVALUE');
    });

    it.each<[CognitoAuthModuleOptions, Record<string, string>, string]>([
      [{ pools: [staff], clientId: 'c' }, {}, 'clientId'],
      [{ pools: [staff] }, { APP_CLIENT_ID: 'leftover' }, 'APP_CLIENT_ID'],
      [{ pools: [staff] }, { COGNITO_ENDPOINT: 'http://localhost:9229' }, 'COGNITO_ENDPOINT'],
      [{ pools: [staff], replicaRegions: ['us-west-2'] }, {}, 'replicaRegions'],
    ])('a module-level pool field with pools but no userPoolId of its own (%#)', (options, env, setting) => {
      const err = configError(() => resolve(options, env));
      expect(err.setting).toBe(setting);
      expect(err.message).toMatch(/default pool.*userPoolId/);
    });
  });

  describe('Multi-Region Replication replicas', () => {
    it("adds the replica Region's classic issuer with its own key set (pools on the original issuer)", () => {
      const s = resolve({ pools: [{ ...staff, replicaRegions: ['us-west-2', 'us-west-2 '] }] });
      expect(s.pools![0].replicas).toEqual([
        {
          region: 'us-west-2',
          issuer: 'https://cognito-idp.us-west-2.amazonaws.com/eu-west-1_Staff1',
          jwksUri: 'https://cognito-idp.us-west-2.amazonaws.com/eu-west-1_Staff1/.well-known/jwks.json',
        },
      ]);
      expect(s.issuers).toContain('https://cognito-idp.us-west-2.amazonaws.com/eu-west-1_Staff1');
      // The updated issuer names the primary Region in every replica: already accepted, no extra key set.
      expect(s.issuers).toContain('https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Staff1');
      expect(s.issuers).not.toContain('https://issuer-cognito-idp.us-west-2.amazonaws.com/eu-west-1_Staff1');
    });

    it("reads COGNITO_REPLICA_REGIONS for the module's own pool", () => {
      const s = resolve(
        {},
        { COGNITO_POOL_ID: 'eu-west-1_AbC123', APP_CLIENT_ID: 'c', COGNITO_REPLICA_REGIONS: 'us-east-1, ap-southeast-2' },
      );
      expect(s.pools![0].replicas.map((r) => r.region)).toEqual(['us-east-1', 'ap-southeast-2']);
    });

    it.each<[unknown, RegExp]>([
      [['eu-west-1'], /pool's own region/],
      [['Frankfurt'], /not an AWS region/],
      [[42], /list of region names/],
    ])('refuses %p', (replicaRegions, message) => {
      const err = configError(() => resolve({ pools: [{ ...staff, replicaRegions: replicaRegions as string[] }] }));
      expect(err.setting).toBe('pools[0].replicaRegions');
      expect(err.message).toMatch(message);
    });

    it('refuses replicas of a pool id that names no region (cognito-local)', () => {
      const err = configError(() =>
        resolve({
          pools: [{ name: 'l', userPoolId: 'local_A1', clientId: 'c', endpoint: 'http://localhost:9229', replicaRegions: 'us-east-1' }],
        }),
      );
      expect(err.message).toMatch(/needs an AWS pool id/);
    });
  });

  it('poolsOf: settings built by hand without pools describe one pool, default', () => {
    const s = testSettings(false);
    expect(poolsOf(s)).toEqual([
      expect.objectContaining({ name: 'default', userPoolId: s.userPoolId, issuers: s.issuers, clientIds: s.clientIds, replicas: [] }),
    ]);
    const resolved = resolve({ pools: [staff, customers] });
    expect(poolsOf(resolved)).toBe(resolved.pools);
  });
});
