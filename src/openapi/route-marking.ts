import { RequestMethod } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA } from '@nestjs/common/constants.js';
import type { RouteRules } from '../guard/route-rules.js';
import { describeErrorBody, GUARD_ERROR_STATUSES, guardErrorResponses, type SwaggerApi } from './error-responses.js';
import type { SecurityRequirement } from './security-requirements.js';

/** A route handler: the function its decorators put metadata on. */
export type RouteHandler = (...args: never[]) => unknown;

/** What `@nestjs/swagger`'s CLI plugin puts on a controller class (its `METADATA_FACTORY_NAME`). */
const PLUGIN_FACTORY = '_OPENAPI_METADATA_FACTORY';

/** A handler's own swagger metadata before the library touched it, to put back. */
interface Snapshot {
  readonly responses: unknown;
  readonly security: unknown;
}

type Responses = Readonly<Record<string, unknown>>;

/**
 * The marker that owns each marked handler, across apps: a handler marked by one app's explorer
 * is left to it by the others (two explorers in one app, or two live apps sharing controllers),
 * so that each restores exactly what it changed.
 */
const owners = new WeakMap<RouteHandler, RouteMarker>();

/** The status swagger documents for a handler that declares no response: `@HttpCode`, else 201 for POST, else 200. */
function defaultStatus(handler: RouteHandler): number {
  const code: unknown = Reflect.getMetadata(HTTP_CODE_METADATA, handler);
  if (typeof code === 'number') return code;
  return Reflect.getMetadata(METHOD_METADATA, handler) === RequestMethod.POST ? 201 : 200;
}

/** The CLI plugin's response metadata for `key`, from the first class up the chain that has some. */
function pluginResponse(prototype: object, key: string): Record<string, unknown> | undefined {
  for (let p: object | null = prototype; p && p !== Object.prototype; p = Reflect.getPrototypeOf(p)) {
    const factory = (p.constructor as unknown as Record<string, unknown> | undefined)?.[PLUGIN_FACTORY];
    if (typeof factory !== 'function') continue;
    const entry = (factory as () => Record<string, Record<string, unknown> | undefined>)()[key];
    if (!entry) continue;
    const { summary: _s, deprecated: _d, tags: _t, ...meta } = entry;
    if (Object.keys(meta).length > 0) return meta;
  }
  return undefined;
}

/**
 * Sets down the success response swagger would have derived itself. Swagger documents its default
 * 200/201, and the CLI plugin its return type, only for a handler with no response metadata at
 * all: once the library adds its 401/403/503, those would be lost.
 */
function keepSuccessResponse(swagger: SwaggerApi, prototype: object, key: string, descriptor: PropertyDescriptor): void {
  const handler = descriptor.value as RouteHandler;
  if (Reflect.getMetadata(swagger.DECORATORS.API_RESPONSE, handler) !== undefined) return;
  const meta = pluginResponse(prototype, key);
  const status = typeof meta?.status === 'number' ? meta.status : defaultStatus(handler);
  swagger.ApiResponse({ description: '', ...meta, status }, { overrideExisting: false })(prototype, key, descriptor);
}

/**
 * Marks guarded routes for `@nestjs/swagger`: their security requirements and their 401, 403 and
 * 503 responses. What the app declared itself wins: a status it documents (on the handler or the
 * class) is left alone, and so is a handler or class with its own `@ApiSecurity()` /
 * `@ApiBearerAuth()`. Everything is undone by `restore()` (the metadata lives on the classes,
 * which outlive one app: tests boot several).
 */
export class RouteMarker {
  private readonly touched = new Map<RouteHandler, Snapshot>();

  constructor(private readonly swagger: SwaggerApi) {
    describeErrorBody(swagger);
  }

  /** Handlers marked so far. */
  get markedCount(): number {
    return this.touched.size;
  }

  /** Marks one handler of `controller`, found as `prototype[key]`, unless a marker marked it already. */
  mark(controller: object, prototype: object, key: string, rules: RouteRules, security: readonly SecurityRequirement[]): void {
    const descriptor = descriptorOf(prototype, key);
    const handler = descriptor?.value as RouteHandler | undefined;
    if (!descriptor || !handler || owners.has(handler)) return;
    owners.set(handler, this);
    const { API_RESPONSE, API_SECURITY } = this.swagger.DECORATORS;
    this.touched.set(handler, {
      responses: Reflect.getOwnMetadata(API_RESPONSE, handler),
      security: Reflect.getOwnMetadata(API_SECURITY, handler),
    });
    const classResponses = (Reflect.getMetadata(API_RESPONSE, controller) ?? {}) as Responses;
    const ownResponses = (Reflect.getMetadata(API_RESPONSE, handler) ?? {}) as Responses;
    const responses = guardErrorResponses(rules);
    const missing = GUARD_ERROR_STATUSES.filter((s) => !(String(s) in ownResponses) && !(String(s) in classResponses));
    if (missing.length > 0) keepSuccessResponse(this.swagger, prototype, key, descriptor);
    for (const status of missing) this.swagger.ApiResponse(responses[status])(prototype, key, descriptor);
    const declaredSecurity = Reflect.getMetadata(API_SECURITY, handler) ?? Reflect.getMetadata(API_SECURITY, controller);
    if (declaredSecurity === undefined) {
      for (const requirement of security) this.swagger.ApiSecurity(requirement)(prototype, key, descriptor);
    }
  }

  /** Puts every marked handler's swagger metadata back as it was. */
  restore(): void {
    const { API_RESPONSE, API_SECURITY } = this.swagger.DECORATORS;
    for (const [handler, before] of this.touched) {
      putBack(API_RESPONSE, before.responses, handler);
      putBack(API_SECURITY, before.security, handler);
      owners.delete(handler);
    }
    this.touched.clear();
  }
}

function descriptorOf(prototype: object, key: string): PropertyDescriptor | undefined {
  for (let p: object | null = prototype; p && p !== Object.prototype; p = Reflect.getPrototypeOf(p)) {
    const descriptor = Object.getOwnPropertyDescriptor(p, key);
    if (descriptor) return descriptor;
  }
  return undefined;
}

function putBack(key: string, value: unknown, handler: RouteHandler): void {
  if (value === undefined) Reflect.deleteMetadata(key, handler);
  else Reflect.defineMetadata(key, value, handler);
}
