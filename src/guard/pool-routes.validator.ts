import type { Provider } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModulesContainer } from '@nestjs/core';
import { COGNITO_AUTH_SETTINGS } from '../cognito-auth.constants.js';
import { CognitoConfigError } from '../errors/cognito-auth.errors.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { poolsOf } from '../options/pools.resolver.js';
import { POOLS_KEY } from './pools.decorator.js';

/** What Nest's container holds for a provider or controller (`InstanceWrapper`), as far as it is read here. */
interface Wrapper {
  readonly metatype: unknown;
  readonly inject?: readonly unknown[] | null;
}

/** A `@Pools(...)` use: where it is, and the names it lists. */
interface PoolsUse {
  readonly where: string;
  readonly names: readonly string[];
}

/** Every `@Pools(...)` on the app's controllers, resolvers and gateways (classes and their methods). */
function poolsUses(modules: ModulesContainer): PoolsUse[] {
  const discovery = new DiscoveryService(modules);
  const scanner = new MetadataScanner();
  const uses: PoolsUse[] = [];
  const wrappers = [...discovery.getControllers(), ...discovery.getProviders()] as unknown as Wrapper[];
  for (const wrapper of wrappers) {
    const type = wrapper.metatype;
    // Factory providers' metatype is their factory function: nothing there carries route metadata.
    if (typeof type !== 'function' || wrapper.inject || !type.prototype) continue;
    const own = Reflect.getMetadata(POOLS_KEY, type) as unknown;
    if (Array.isArray(own)) uses.push({ where: type.name, names: own as string[] });
    const prototype = type.prototype as Record<string, unknown>;
    for (const key of scanner.getAllMethodNames(prototype)) {
      const names = Reflect.getMetadata(POOLS_KEY, prototype[key] as object) as unknown;
      if (Array.isArray(names)) uses.push({ where: `${type.name}.${key}`, names: names as string[] });
    }
  }
  return uses;
}

/** What the start-up check of `@Pools` found: how many uses it checked. */
export class CognitoPoolRoutes {
  constructor(
    /** `@Pools(...)` decorators checked. */
    readonly checked: number,
  ) {}
}

/**
 * Stops start-up when a `@Pools(...)` names a pool the settings do not have: a typo there would
 * otherwise shut every caller out of the route (403) with nothing said until a user complains.
 * Reads the container's controllers and providers while the app is created, before it serves.
 * @throws CognitoConfigError naming the class and method
 */
export function checkPoolRoutes(modules: ModulesContainer, settings: CognitoAuthSettings): CognitoPoolRoutes {
  const known = poolsOf(settings).map((p) => p.name);
  const uses = poolsUses(modules);
  for (const use of uses) {
    const unknown = use.names.find((name) => !known.includes(name));
    if (unknown !== undefined) {
      throw new CognitoConfigError(
        '@Pools',
        `${use.where} names the pool "${unknown}", which is not configured (pools: ${known.join(', ')})`,
      );
    }
  }
  return new CognitoPoolRoutes(uses.length);
}

/** The provider `CognitoAuthModule` registers: creating it checks every `@Pools(...)`. */
export const cognitoPoolRoutesProvider: Provider = {
  provide: CognitoPoolRoutes,
  inject: [ModulesContainer, COGNITO_AUTH_SETTINGS],
  useFactory: (modules: ModulesContainer, settings: CognitoAuthSettings): CognitoPoolRoutes => checkPoolRoutes(modules, settings),
};
