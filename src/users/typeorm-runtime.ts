/**
 * typeorm is an optional peer dependency: the library must load without it. Runtime values from
 * typeorm are taken from this lazily imported module, never from a top-level value import.
 */
import type * as TypeOrmNamespace from 'typeorm';

export type TypeOrmModule = typeof TypeOrmNamespace;

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return true;
  const message = error instanceof Error ? error.message : '';
  return /Cannot find (module|package) ['"]?typeorm/.test(message);
}

/** The typeorm module, or `undefined` when it is not installed. Any other load failure is thrown. */
export const typeorm: TypeOrmModule | undefined = await import('typeorm').catch((error: unknown) => {
  if (isModuleNotFound(error)) return undefined;
  throw error;
});
