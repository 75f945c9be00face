import { Module, type DynamicModule } from '@nestjs/common';
import { COGNITO_CLOCK } from '../../src/cognito-auth.constants.js';

/** A clock the test moves by hand: `now` is the seam, `advance` the only way time passes. */
export class ManualClock {
  constructor(private ms: number) {}

  readonly now = (): number => this.ms;

  advance(ms: number): void {
    this.ms += ms;
  }

  /** The current time in epoch seconds (for token claims). */
  get seconds(): number {
    return Math.floor(this.ms / 1000);
  }
}

/**
 * Waits until `condition` holds, yielding to the event loop (`intervalMs`) between checks (for
 * work the code, another process or a server does in the background). Fails after `maxChecks`
 * checks: a safety net, no fixed sleep and no time threshold. The one polling helper of the suites.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, maxChecks = 5000, intervalMs = 1): Promise<void> {
  for (let i = 0; i < maxChecks; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

@Module({})
class ManualClockModule {}

/**
 * A global module providing `clock.now` as `COGNITO_CLOCK` to a whole test app (pass it in
 * `createTestApp`'s `imports`), so cooldowns, rate-limit windows and cache lifetimes pass when the
 * test says so, never while it sleeps.
 */
export function clockModule(clock: ManualClock | (() => number)): DynamicModule {
  return {
    module: ManualClockModule,
    global: true,
    providers: [{ provide: COGNITO_CLOCK, useValue: typeof clock === 'function' ? clock : clock.now }],
    exports: [COGNITO_CLOCK],
  };
}
