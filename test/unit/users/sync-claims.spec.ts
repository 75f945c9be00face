/**
 * What user sync may read from the tokens: an email or phone number only once verified (`true`
 * or the string "true"), `username` as Cognito's username in either token.
 */
import { SyncClaims } from '../../../src/users/sync-claims.js';
import { accessClaims, idClaims } from '../../support/user-sync.js';

const read = (tokens: Parameters<typeof SyncClaims.of>[0], name: string) => SyncClaims.of(tokens)?.read(name);

describe('SyncClaims', () => {
  it.each([
    [true, 'present'],
    ['true', 'present'],
    [false, 'unverified'],
    ['false', 'unverified'],
    ['TRUE', 'unverified'],
    [1, 'unverified'],
    [undefined, 'unverified'],
  ])('email with email_verified %p is %s', (flag, status) => {
    expect(read({ id: idClaims('s', { email: 'a@b.example', email_verified: flag }) }, 'email')?.status).toBe(status);
  });

  it('phone_number counts only with phone_number_verified true or "true"', () => {
    expect(read({ id: idClaims('s', { phone_number: '+1555', phone_number_verified: 'true' }) }, 'phone_number')).toEqual({
      status: 'present',
      value: '+1555',
    });
    expect(read({ id: idClaims('s', { phone_number: '+1555' }) }, 'phone_number')?.status).toBe('unverified');
  });

  it('username is cognito:username in the ID token', () => {
    const tokens = { id: idClaims('s', { 'cognito:username': 'alice' }), access: accessClaims('s', { username: 'alice' }) };
    expect(read(tokens, 'username')).toEqual({ status: 'present', value: 'alice' });
    expect(read({ id: idClaims('s', { 'cognito:username': 'alice' }) }, 'username')).toEqual({ status: 'present', value: 'alice' });
  });

  it('username is username in the access token', () => {
    expect(read({ access: accessClaims('s', { username: 'bob' }) }, 'username')).toEqual({ status: 'present', value: 'bob' });
  });

  it('other claims come from the ID token, else the access token; null is absent', () => {
    const tokens = { id: idClaims('s', { name: 'Ann', nothing: null }), access: accessClaims('s', { name: 'Other' }) };
    expect(read(tokens, 'name')).toEqual({ status: 'present', value: 'Ann' });
    expect(read(tokens, 'nothing')).toEqual({ status: 'absent' });
    expect(read({ access: accessClaims('s', { scope: 'a b' }) }, 'scope')).toEqual({ status: 'present', value: 'a b' });
    expect(SyncClaims.of({})).toBeUndefined();
  });
});
