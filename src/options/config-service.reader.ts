import type { ModuleRef } from '@nestjs/core';
import { optionalRequire } from '../internal/optional-require.cjs';
import type { EnvReader } from './settings.resolver.js';

/** What the library reads from `@nestjs/config`'s `ConfigService`. */
export interface ConfigReader {
  get(name: string): unknown;
}

type ConfigServiceClass = abstract new (...args: never[]) => ConfigReader;

/**
 * `@nestjs/config`'s `ConfigService` class, loaded synchronously so it can be an injection token
 * of the settings provider (Nest then creates the app's ConfigService first, with its `load`
 * factories and env files); undefined when `@nestjs/config` is not installed or cannot be
 * `require()`d here (an ESM-only copy under a runtime without `require(esm)`, such as Jest).
 */
export function configServiceClass(): ConfigServiceClass | undefined {
  try {
    return optionalRequire<{ ConfigService: ConfigServiceClass }>('@nestjs/config')?.ConfigService;
  } catch {
    return undefined;
  }
}

/**
 * Fallback when the class could not be loaded synchronously: the app's ConfigService as far as
 * the container already holds it (it may not be created yet; then the environment is read).
 */
export async function findConfigService(moduleRef: ModuleRef): Promise<ConfigReader | undefined> {
  const config = await import('@nestjs/config').catch(() => undefined);
  if (!config) return undefined;
  try {
    return moduleRef.get<ConfigReader>(config.ConfigService, { strict: false }) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Reads settings through ConfigService when there is one, else from `process.env`. */
export function envReaderOf(configService: ConfigReader | undefined): EnvReader {
  if (!configService) return (name) => process.env[name];
  return (name) => {
    const value = configService.get(name);
    return value === undefined || value === null ? undefined : String(value);
  };
}
