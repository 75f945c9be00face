/**
 * Column names that look like privileges. Mapping a claim into such a column lets whoever can
 * change the claim grant themselves the privilege: Cognito users may update their own
 * attributes (custom ones included) unless the app client's write attributes forbid it.
 */

/** Whole names (lower case, without `_`, `-` or spaces) that mean a privilege. */
const PRIVILEGE_NAMES = new Set([
  'admin',
  'isadmin',
  'administrator',
  'isadministrator',
  'superadmin',
  'issuperadmin',
  'superuser',
  'issuperuser',
  'staff',
  'isstaff',
  'root',
  'isroot',
  'moderator',
  'ismoderator',
  'group',
  'groups',
  'scope',
  'scopes',
  'acl',
  'acls',
  'grants',
  'accesslevel',
  'privilegelevel',
]);
/** Endings that mean a privilege whatever comes before (`user_role`, `appPermissions`). */
const PRIVILEGE_ENDINGS = /(role|roles|permission|permissions|privilege|privileges|perms)$/;

/** Whether a property or column name looks like it grants a privilege (`isAdmin`, `is_superuser`, `roles`...). */
export function looksLikePrivilege(name: string): boolean {
  const normal = name.toLowerCase().replace(/[\s_-]+/g, '');
  return PRIVILEGE_NAMES.has(normal) || PRIVILEGE_ENDINGS.test(normal);
}
