/**
 * typeorm is an optional peer dependency: the library must load without it. Runtime values from
 * typeorm are taken from this module, never from a top-level value import.
 *
 * It is loaded synchronously, because `CognitoUser` applies typeorm's decorators when its class is
 * defined. Both typeorm 0.3 and 1.x ship a CommonJS entry point (1.x's ES entry point re-exports
 * it), so `require` gives the very instance an ESM app imports: one metadata storage.
 */
import type * as TypeOrmNamespace from 'typeorm';
import { optionalRequire } from '../internal/optional-require.cjs';

/** The shape of the `typeorm` module. */
export type TypeOrmModule = typeof TypeOrmNamespace;

/** The typeorm module, or `undefined` when it is not installed. Any other load failure is thrown. */
export const typeorm: TypeOrmModule | undefined = optionalRequire<TypeOrmModule>('typeorm');
