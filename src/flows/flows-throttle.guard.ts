import { type CanActivate, type ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { ModuleRef, ModulesContainer, Reflector } from '@nestjs/core';

/** The part of @nestjs/throttler used here (an optional peer, loaded on the first request). */
interface ThrottlerLib {
  ThrottlerGuard: new (options: unknown, storage: unknown, reflector: Reflector) => CanActivate & { onModuleInit(): Promise<void> };
  getOptionsToken(): string;
  getStorageToken(): symbol;
}

/**
 * @nestjs/throttler, or undefined when it is not installed. `import()`, not `require()`: it
 * requires @nestjs/common, which is ESM-only from NestJS 12 (a CommonJS copy sits under `default`).
 */
async function loadThrottler(): Promise<ThrottlerLib | undefined> {
  const specifier = '@nestjs/throttler';
  try {
    const mod = (await import(specifier)) as Partial<ThrottlerLib> & { default?: Partial<ThrottlerLib> };
    const lib = typeof mod.ThrottlerGuard === 'function' ? mod : mod.default;
    return typeof lib?.ThrottlerGuard === 'function' ? (lib as ThrottlerLib) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Rate limiting of the flows controller through @nestjs/throttler, when the app has it: if the app
 * imports `ThrottlerModule`, the flows' routes are limited with its settings and storage (429
 * `limit_exceeded` with `Retry-After`). When the app already applies `ThrottlerGuard` globally
 * (`APP_GUARD`) that guard limits these routes and this one stands aside, so no request counts
 * twice. Without @nestjs/throttler, or without `ThrottlerModule`, every request passes.
 */
@Injectable()
export class CognitoFlowsThrottleGuard implements CanActivate {
  private readonly logger = new Logger('CognitoFlowsController');
  private delegate: Promise<CanActivate | undefined> | undefined;

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly modules: ModulesContainer,
    private readonly reflector: Reflector,
  ) {}

  /** Lets the request through unless the throttler says it is over the limit (it throws then). */
  async canActivate(context: ExecutionContext): Promise<boolean> {
    this.delegate ??= this.findThrottler();
    const guard = await this.delegate;
    return guard ? (guard.canActivate(context) as Promise<boolean>) : true;
  }

  /** A ThrottlerGuard on the app's throttler settings, unless there are none or one runs globally. */
  private async findThrottler(): Promise<CanActivate | undefined> {
    const lib = await loadThrottler();
    if (!lib) return undefined;
    let options: unknown;
    let storage: unknown;
    try {
      options = this.moduleRef.get(lib.getOptionsToken(), { strict: false });
      storage = this.moduleRef.get(lib.getStorageToken(), { strict: false });
    } catch {
      return undefined; // @nestjs/throttler is installed but the app does not import ThrottlerModule
    }
    if (this.hasGlobalThrottler(lib)) return undefined;
    const guard = new lib.ThrottlerGuard(options, storage, this.reflector);
    await guard.onModuleInit();
    this.logger.log("Sign-in flows are rate-limited with the app's ThrottlerModule settings");
    return guard;
  }

  /** Whether a `ThrottlerGuard` is registered as `APP_GUARD` (Nest keys those providers `APP_GUARD (UUID: ...)`). */
  private hasGlobalThrottler(lib: ThrottlerLib): boolean {
    for (const module of this.modules.values()) {
      for (const [token, wrapper] of module.providers) {
        if (typeof token === 'string' && token.startsWith('APP_GUARD') && wrapper.instance instanceof lib.ThrottlerGuard) return true;
      }
    }
    return false;
  }
}
