/** Which column names count as privileges for the start-up warning about the field mapping. */
import { looksLikePrivilege } from '../../../src/users/privilege-columns.js';

describe('looksLikePrivilege', () => {
  it.each([
    'isAdmin',
    'is_admin',
    'admin',
    'role',
    'roles',
    'isStaff',
    'is_superuser',
    'permissions',
    'groups',
    'user_role',
    'appPermissions',
    'IS-ROOT',
  ])('%s looks like a privilege', (name) => expect(looksLikePrivilege(name)).toBe(true));

  it.each(['email', 'sub', 'first_name', 'username', 'administrativeArea', 'controller', 'bloodGroup'])('%s does not', (name) =>
    expect(looksLikePrivilege(name)).toBe(false),
  );
});
