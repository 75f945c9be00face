import type { WsException } from '@nestjs/websockets';
import { optionalRequire } from '../internal/optional-require.cjs';

/** What a refused gateway message answers: socket.io's `exception` event, ws's `{ event: 'exception', data }` frame. */
export interface WsRefusalPayload {
  readonly status: 'error';
  readonly code: string;
  readonly message: string;
}

type WsExceptionClass = new (error: object) => WsException;

/** `@nestjs/websockets` as `import()` or `require()` gives it (a CommonJS copy sits under `default`). */
interface WebsocketsModule {
  readonly WsException?: WsExceptionClass;
  readonly default?: { readonly WsException?: WsExceptionClass };
}

let wsExceptionClass: WsExceptionClass | undefined;

function classOf(mod: WebsocketsModule | undefined): WsExceptionClass | undefined {
  return mod?.WsException ?? mod?.default?.WsException;
}

/**
 * Loads Nest's `WsException` class, once. `@nestjs/websockets` is an optional peer, so it is never
 * imported at the top level. Nest's `BaseWsExceptionFilter` answers only an `instanceof WsException`
 * with the error as given; anything else becomes "Internal server error". `import()` is the one way
 * that yields the app's own copy everywhere (NestJS 12 is ESM-only, and Jest's `require` cannot load
 * it), so the adapter calls this at module init, before a gateway accepts clients.
 */
export async function loadWsException(): Promise<void> {
  if (wsExceptionClass) return;
  try {
    wsExceptionClass = classOf((await import('@nestjs/websockets')) as WebsocketsModule);
  } catch {
    // Not installed (no gateway can exist then), or it failed to load: the synchronous path below retries.
  }
}

/** The class, loading it synchronously if module init has not run yet (NestJS 11 accepts clients before it). */
function currentWsExceptionClass(): WsExceptionClass | undefined {
  if (!wsExceptionClass) {
    try {
      wsExceptionClass = classOf(optionalRequire<WebsocketsModule>('@nestjs/websockets'));
    } catch {
      // An ES module `require()` cannot load (older Node, Jest): keep the fallback below.
    }
  }
  return wsExceptionClass;
}

/** Stands in for `WsException` when `@nestjs/websockets` cannot be loaded; has the same `getError()`. */
class WsRefusalError extends Error {
  constructor(private readonly error: WsRefusalPayload) {
    super(error.message);
    this.name = 'WsException';
  }

  getError(): WsRefusalPayload {
    return this.error;
  }
}

/** A `WsException` carrying `payload`, which Nest's exception filter sends to the client as is. */
export function wsException(payload: WsRefusalPayload): Error {
  const WsExceptionCtor = currentWsExceptionClass();
  return WsExceptionCtor ? new WsExceptionCtor(payload) : new WsRefusalError(payload);
}
