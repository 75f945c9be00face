import { CognitoConfigError } from '../errors/cognito-auth.errors.js';
import type { CognitoAuthModuleOptions, ResolvedUserSyncSettings } from './cognito-auth.options.js';
import { isForbiddenKey, parseBool, type SettingsReader, type Sourced } from './settings.reader.js';

const DEFAULT_MAPPING: Readonly<Record<string, string>> = { sub: 'sub', email: 'email' };

/**
 * User sync settings, or `false` when it is turned off (`users: false`, `COGNITO_USER_SYNC=false`).
 * Left unset, sync is on only when a TypeORM DataSource is found (`explicit: false`).
 */
export function resolveUsers(o: CognitoAuthModuleOptions, reader: SettingsReader): ResolvedUserSyncSettings | false {
  if (o.users === false) return false;
  let explicit = o.users !== undefined;
  if (o.users === undefined) {
    const sync = reader.read(['COGNITO_USER_SYNC']);
    if (sync) {
      if (!parseBool(sync)) return false;
      explicit = true;
    }
  } else if (typeof o.users !== 'object' || o.users === null) {
    throw new CognitoConfigError('users', 'must be an options object or false');
  }
  const u = o.users || {};
  const field = (option: string, given: string | undefined, envName: string): Sourced<string> =>
    reader.str(option, given, [envName]) ?? { value: 'sub', source: option };
  const mapping = resolveFieldMapping(u.fieldMapping, reader);
  const lookupField = field('users.lookupField', u.lookupField, 'COGNITO_USER_MODEL_FIELD_REF_FIELD');
  return {
    explicit,
    entity: u.entity,
    dataSource: u.dataSource,
    autoCreate: reader.bool('users.autoCreate', u.autoCreate, 'AUTO_CREATE_USER', true),
    lookupField: lookupField.value,
    tokenField: field('users.tokenField', u.tokenField, 'COGNITO_TOKEN_REF_FIELD').value,
    fieldMapping: Object.freeze(mapping.value),
    updateOnLogin: reader.bool('users.updateOnLogin', u.updateOnLogin, 'COGNITO_UPDATE_USER_ON_LOGIN', true),
    cacheTtlSeconds: reader.int('users.cacheTtlSeconds', u.cacheTtlSeconds, 'COGNITO_USER_CACHE_TTL', 5, 0),
    sources: { lookupField: lookupField.source, fieldMapping: mapping.source },
  };
}

/** `{ entityField: claimName }` from the option, else `COGNITO_USER_FIELD_MAPPING` (JSON), else `{ sub, email }`. */
function resolveFieldMapping(given: Record<string, string> | undefined, reader: SettingsReader): Sourced<Record<string, string>> {
  let mapping: Record<string, string>;
  let source = 'users.fieldMapping';
  if (given !== undefined) {
    mapping = { ...given };
  } else {
    const raw = reader.read(['COGNITO_USER_FIELD_MAPPING']);
    if (raw) {
      source = raw.source;
      try {
        mapping = JSON.parse(raw.value) as Record<string, string>;
      } catch {
        throw new CognitoConfigError(raw.source, 'must be JSON, e.g. {"sub":"sub","email":"email"}');
      }
    } else {
      mapping = { ...DEFAULT_MAPPING };
    }
  }
  if (!mapping || typeof mapping !== 'object' || Array.isArray(mapping)) {
    throw new CognitoConfigError(source, 'must be an object of entity field to claim name');
  }
  for (const [key, claim] of Object.entries(mapping)) {
    if (typeof claim !== 'string' || claim === '' || key === '' || isForbiddenKey(key)) {
      throw new CognitoConfigError(source, `entry "${key}" must map an entity field to a claim name`);
    }
  }
  return { value: mapping, source };
}
