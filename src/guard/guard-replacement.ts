import type { CanActivate, Type } from '@nestjs/common';
import type { ModulesContainer } from '@nestjs/core';

/**
 * Links a guard provider with the module's own use of its class (a `@UseGuards(guard)` that holds
 * no routes) and returns what a test put in place of that use, if anything.
 *
 * Nest's `Test.createTestingModule(...).overrideGuard(guard)` replaces each use of a guard, not a
 * provider of the same class, which is what a global guard (`APP_GUARD` with `useExisting`) is. So
 * the module carries a use for an override to replace: a use whose class is no longer `guard`
 * itself (a `useValue`, `useClass` or `useFactory` put there) is the stand-in, returned. Otherwise
 * the use is made to hold the provider's instance, so that `app.get(guard)` still gives the global
 * guard rather than the spare instance Nest made for the use.
 */
export function linkGuardUse(modules: ModulesContainer | undefined, guard: Type<CanActivate>): CanActivate | undefined {
  if (!modules) return undefined;
  for (const module of modules.values()) {
    const use = module.injectables.get(guard);
    const provider = module.providers.get(guard);
    if (!use || !provider) continue;
    if (use.metatype === guard) {
      use.instance = provider.instance; // the global guard, or what a test's overrideProvider put there
      return undefined;
    }
    const stand: unknown = use.instance;
    return isGuard(stand) ? stand : undefined;
  }
  return undefined;
}

function isGuard(value: unknown): value is CanActivate {
  return value !== null && typeof value === 'object' && typeof (value as Partial<CanActivate>).canActivate === 'function';
}
