import { ConfigurableModuleBuilder, type Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CognitoGuard } from './guard/cognito.guard.js';
import type { CognitoAuthModuleExtras, CognitoAuthModuleOptions } from './options/cognito-auth.options.js';

const builder = new ConfigurableModuleBuilder<CognitoAuthModuleOptions>({
  moduleName: 'CognitoAuth',
  // A registered symbol, as for every token of the library: a CommonJS and an ESM copy agree on it.
  optionsInjectionToken: Symbol.for('nest-cognito-auth:module-options'),
})
  .setClassMethodName('forRoot')
  .setExtras<CognitoAuthModuleExtras>({ globalGuard: true }, (definition, extras) => {
    const guard: Provider[] = extras.globalGuard === false ? [] : [{ provide: APP_GUARD, useExisting: CognitoGuard }];
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
