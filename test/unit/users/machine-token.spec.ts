/**
 * A machine token is an access token with no `username` whose `sub` equals its `client_id`
 * (OAuth client credentials); nothing else is one.
 */
import { isMachineToken } from '../../../src/users/machine-token.js';
import { TEST_CLIENT_ID, accessClaims, idClaims } from '../../support/user-sync.js';

describe('isMachineToken', () => {
  it('an access token with no username whose sub is its client_id is a machine token', () => {
    expect(isMachineToken({ access: accessClaims(TEST_CLIENT_ID, { username: undefined }) })).toBe(true);
  });

  it('an empty username counts as none', () => {
    expect(isMachineToken({ access: accessClaims(TEST_CLIENT_ID, { username: '' }) })).toBe(true);
  });

  it('an access token with a username is a user, even when its sub equals its client_id', () => {
    expect(isMachineToken({ access: accessClaims(TEST_CLIENT_ID, { username: 'alice' }) })).toBe(false);
  });

  it('an access token whose sub is not its client_id is a user, with or without username', () => {
    expect(isMachineToken({ access: accessClaims('user-sub') })).toBe(false);
    expect(isMachineToken({ access: accessClaims('user-sub', { username: undefined }) })).toBe(false);
  });

  it('an ID token alone is never a machine token', () => {
    expect(isMachineToken({ id: idClaims(TEST_CLIENT_ID) })).toBe(false);
    expect(isMachineToken({})).toBe(false);
  });
});
