import { Logger } from '@nestjs/common';
import type { CognitoStateStore } from './state-store.interface.js';

/**
 * Whether a shared store is failing, as seen by this process, so that an outage is logged once
 * (a warning when it starts, a line when it ends) however many requests and services meet it.
 * Every service of an instance that uses one store shares one `StoreOutage` (see `outageOf`).
 */
export class StoreOutage {
  private readonly logger = new Logger('CognitoStateStore');
  private down = false;

  /** True between a failure and the next success. */
  get isDown(): boolean {
    return this.down;
  }

  /** Records a failure; only the first one of an outage is logged, by error class, never by message. */
  fail(err: unknown): void {
    if (this.down) return;
    this.down = true;
    this.logger.warn(
      `State store unreachable (${errorName(err)}): this instance falls back to its own caches and sees only its own revocations until it is back`,
    );
  }

  /** Records a success; ends an outage (logged once). */
  ok(): void {
    if (!this.down) return;
    this.down = false;
    this.logger.log('State store reachable again: shared state resumed');
  }
}

const outages = new WeakMap<CognitoStateStore, StoreOutage>();

/** The one `StoreOutage` of `store` in this process. */
export function outageOf(store: CognitoStateStore): StoreOutage {
  let outage = outages.get(store);
  if (!outage) outages.set(store, (outage = new StoreOutage()));
  return outage;
}

/** An error's class name and network code for a log line (`Error ECONNREFUSED`), never its message. */
export function errorName(err: unknown): string {
  // Duck-typed: errors from Node's own modules may come from another realm (instanceof fails).
  const { name: rawName, code } = typeof err === 'object' && err !== null ? (err as { name?: unknown; code?: unknown }) : {};
  const name = typeof rawName === 'string' && /^[A-Za-z]{1,80}$/.test(rawName) ? rawName : 'UnknownError';
  return typeof code === 'string' && /^E[A-Z_]{2,30}$/.test(code) ? `${name} ${code}` : name;
}
