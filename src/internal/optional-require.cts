/**
 * Loads an optional peer dependency synchronously, in both builds of the package.
 *
 * This file is always compiled to CommonJS (`.cts` -> `.cjs`), whichever build imports it, so
 * `require` exists here and resolves from the package's own location, as a peer must. An ES
 * module cannot load a package synchronously without `import.meta`, which the CommonJS build
 * cannot contain, and a top-level `await import()` would make the package impossible to
 * `require()` (ERR_REQUIRE_ASYNC_MODULE).
 */

/** Error codes Node (and Jest) give a module that cannot be found. */
const NOT_FOUND_CODES = new Set(['MODULE_NOT_FOUND', 'ERR_MODULE_NOT_FOUND']);

/**
 * True when `error` says that `name` itself is not installed. A package that is installed but
 * fails to load (one of its own dependencies missing, a syntax error) is not "absent": that
 * error must reach the user.
 */
function isAbsent(error: unknown, name: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || !NOT_FOUND_CODES.has(code) || typeof message !== 'string') return false;
  // Node: "Cannot find module 'typeorm'"; for ESM resolution: "Cannot find package 'typeorm'".
  const firstLine = message.split('\n', 1)[0] ?? '';
  return firstLine.includes(`'${name}'`) || firstLine.includes(`"${name}"`);
}

/**
 * The module `name` as `require(name)` gives it, or `undefined` when it is not installed. Any
 * other failure while loading it is thrown.
 */
export function optionalRequire<T>(name: string): T | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the point of this file: a synchronous load of an optional peer
    return require(name) as T;
  } catch (error) {
    if (isAbsent(error, name)) return undefined;
    throw error;
  }
}
