import { Logger, type OnModuleDestroy, type Provider, type Type } from '@nestjs/common';
import { GUARDS_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { APP_GUARD, DiscoveryService, MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { COGNITO_AUTH_SETTINGS } from '../cognito-auth.constants.js';
import { CognitoGuard } from '../guard/cognito.guard.js';
import { readRouteRules } from '../guard/route-rules.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import type { SwaggerApi } from './error-responses.js';
import { RouteMarker, type RouteHandler } from './route-marking.js';
import { securityRequirements } from './security-requirements.js';

/** What Nest's container holds for a provider or controller (`InstanceWrapper`), as far as it is read here. */
interface Wrapper {
  readonly token: unknown;
  readonly metatype: unknown;
  readonly inject?: readonly unknown[] | null;
  readonly isAlias?: boolean;
  readonly instance: unknown;
}

/** True for `CognitoGuard`, a subclass of it, or an instance of either. */
function isCognitoGuard(candidate: unknown): boolean {
  if (candidate instanceof CognitoGuard) return true;
  return typeof candidate === 'function' && (candidate === CognitoGuard || candidate.prototype instanceof CognitoGuard);
}

/**
 * True when a global guard (`APP_GUARD`) is `CognitoGuard`: the module's own (`globalGuard`, the
 * default) or one the app registered, a subclass included. Read from the provider definitions,
 * since the instances may not exist yet.
 */
function hasGlobalCognitoGuard(providers: readonly Wrapper[]): boolean {
  return providers.some(
    (w) =>
      typeof w.token === 'string' &&
      w.token.startsWith(`${APP_GUARD} `) &&
      (isCognitoGuard(w.instance) || isCognitoGuard(w.metatype) || (w.isAlias === true && isCognitoGuard(w.inject?.[0]))),
  );
}

/** True when `@UseGuards(...)` on the handler or its class names `CognitoGuard` (or a subclass). */
function hasRouteCognitoGuard(reflector: Reflector, handler: RouteHandler, controller: Type): boolean {
  return [handler, controller].some((target) => (reflector.get<unknown[] | undefined>(GUARDS_METADATA, target) ?? []).some(isCognitoGuard));
}

/** Loads the app's `@nestjs/swagger`, or undefined when it is not installed. */
async function loadSwagger(logger: Logger): Promise<SwaggerApi | undefined> {
  try {
    const mod = (await import('@nestjs/swagger')) as unknown as SwaggerApi & { default?: SwaggerApi };
    return mod.DECORATORS ? mod : mod.default;
  } catch (error) {
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    const absent = (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String(message).includes('@nestjs/swagger');
    // Documentation is never worth a failed start-up: a broken install is reported and skipped.
    if (!absent)
      logger.warn(`@nestjs/swagger could not be loaded (${error instanceof Error ? error.name : typeof error}): routes are not marked`);
    return undefined;
  }
}

/**
 * Marks the routes `CognitoGuard` protects for `@nestjs/swagger`, when it is installed, so the
 * generated document shows their security requirements (the schemes `withCognitoSecurity` adds)
 * and their 401, 403 and 503 responses with the error body, without `@ApiBearerAuth()` on each
 * controller. `@Public()` routes, and routes the guard does not run on (`globalGuard: false`
 * without `@UseGuards(CognitoGuard)`), are left as they are.
 *
 * The work happens while the app is being created (an async provider), not at module init:
 * `SwaggerModule.createDocument(app, ...)` usually runs before `app.listen()` initialises the app.
 */
export class CognitoOpenApiExplorer implements OnModuleDestroy {
  private readonly logger = new Logger('CognitoOpenApi');
  private marker: RouteMarker | undefined;

  constructor(
    private readonly modules: ModulesContainer,
    private readonly reflector: Reflector,
    private readonly settings: CognitoAuthSettings,
  ) {}

  /** Routes marked (0 without `@nestjs/swagger`). */
  get markedCount(): number {
    return this.marker?.markedCount ?? 0;
  }

  /** Finds the guarded routes and marks them; a no-op without `@nestjs/swagger`. */
  async markRoutes(): Promise<void> {
    const swagger = await loadSwagger(this.logger);
    if (!swagger) return;
    this.marker?.restore();
    const marker = (this.marker = new RouteMarker(swagger));
    const discovery = new DiscoveryService(this.modules);
    const global = hasGlobalCognitoGuard(discovery.getProviders() as unknown as Wrapper[]);
    const scanner = new MetadataScanner();
    for (const wrapper of discovery.getControllers() as unknown as Wrapper[]) {
      const controller = wrapper.metatype as Type | undefined;
      if (typeof controller !== 'function') continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const key of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[key] as RouteHandler;
        if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        if (!global && !hasRouteCognitoGuard(this.reflector, handler, controller)) continue;
        const rules = readRouteRules(this.reflector, handler, controller);
        if (rules.isPublic) continue;
        const security = securityRequirements(rules.tokenUse ?? this.settings.tokenUse, this.settings.cookies.enabled);
        marker.mark(controller, prototype, key, rules, security);
      }
    }
  }

  /** Puts the controllers' swagger metadata back as it was. */
  onModuleDestroy(): void {
    this.marker?.restore();
    this.marker = undefined;
  }
}

/**
 * The provider `CognitoAuthModule` registers: creating it marks the routes, before the app is
 * initialised and before any document is generated.
 */
export const cognitoOpenApiProvider: Provider = {
  provide: CognitoOpenApiExplorer,
  inject: [ModulesContainer, Reflector, COGNITO_AUTH_SETTINGS],
  useFactory: async (modules: ModulesContainer, reflector: Reflector, settings: CognitoAuthSettings) => {
    const explorer = new CognitoOpenApiExplorer(modules, reflector, settings);
    await explorer.markRoutes();
    return explorer;
  },
};
