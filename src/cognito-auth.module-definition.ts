import { ConfigurableModuleBuilder, Injectable, type Provider, UseGuards } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CognitoGuard } from './guard/cognito.guard.js';
import type { CognitoAuthModuleExtras, CognitoAuthModuleOptions } from './options/cognito-auth.options.js';

/**
 * A use of `CognitoGuard` inside the module (it holds no routes). Nest's `overrideGuard(CognitoGuard)`
 * replaces the uses of a guard, not a provider of it, and the global guard is a provider: this use
 * gives a test's override something to replace, and the global guard defers to what replaced it.
 */
@Injectable()
@UseGuards(CognitoGuard)
class CognitoGuardUse {}

const builder = new ConfigurableModuleBuilder<CognitoAuthModuleOptions>({
  moduleName: 'CognitoAuth',
  // A registered symbol, as for every token of the library: a CommonJS and an ESM copy agree on it.
  optionsInjectionToken: Symbol.for('nest-cognito-auth:module-options'),
})
  .setClassMethodName('forRoot')
  .setExtras<CognitoAuthModuleExtras>({ globalGuard: true }, (definition, extras) => {
    const guard: Provider[] = extras.globalGuard === false ? [] : [{ provide: APP_GUARD, useExisting: CognitoGuard }, CognitoGuardUse];
    return { ...definition, global: true, providers: [...(definition.providers ?? []), ...guard] };
  })
  .build();

/** Base class of `CognitoAuthModule`, made by `ConfigurableModuleBuilder`. */
export const ConfigurableCognitoAuthModule = builder.ConfigurableModuleClass;
/** Injection token of the options given to `forRoot` / `forRootAsync` (before the environment is merged in). */
export const COGNITO_AUTH_MODULE_OPTIONS = builder.MODULE_OPTIONS_TOKEN;
/** What `forRoot` accepts: the options plus `globalGuard`. */
export type CognitoAuthForRootOptions = typeof builder.OPTIONS_TYPE;
/** What `forRootAsync` accepts: `imports`, `inject`, `useFactory` / `useClass` / `useExisting`, plus `globalGuard`. */
export type CognitoAuthForRootAsyncOptions = typeof builder.ASYNC_OPTIONS_TYPE;
