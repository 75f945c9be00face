import { availableParallelism } from 'node:os';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';

/** Length of the window the decision is made over, in ms. */
const WINDOW_MS = 100;
/** Loop turns with a token check in a window, at least, for the load to count as concurrent traffic. */
const MIN_TURNS = 20;
/** Event-loop utilization that moves checks to the pool, and the one below which they come back. */
const BUSY = 0.8;
const CALM = 0.5;

/**
 * Where the RS256 checks of new tokens run: on this thread, or on libuv's thread pool.
 *
 * On this thread a check costs the signature alone (about 20 µs for RSA-2048) and answers at once:
 * the right place while the process has time to spare. Handing it to the pool costs more CPU
 * (about 6 µs to dispatch, and the worker's wake-up) and some latency, but frees this thread for
 * other requests while another core verifies: it pays only when this thread is saturated by many
 * concurrent requests and the machine has a core to spare. So checks move to the pool when, over
 * the last 100 ms, the event loop was busy at least 80 % of the time (and they come back below
 * 50 %) while it kept turning (token checks came from 20 or more separate loop turns): a script
 * verifying tokens one after another in one long synchronous stretch keeps them here. With one
 * core they always stay here. Every check is the same wherever it runs.
 */
export class Rs256Placement {
  private readonly spare: boolean;
  private pooled = false;
  private windowStart = 0;
  private turns = 0;
  private armed = false;
  private elu: EventLoopUtilization;
  private readonly disarm = (): void => {
    this.armed = false;
  };

  /** @param cores the cores the process may use (default `os.availableParallelism()`) */
  constructor(cores: number = availableParallelism()) {
    this.spare = cores > 1;
    this.elu = performance.eventLoopUtilization();
    this.windowStart = performance.now();
  }

  /** Whether the next RS256 check goes to libuv's thread pool. */
  onPool(): boolean {
    if (!this.spare) return false;
    if (!this.armed) {
      // The first check of this loop turn: count the turn, and re-arm after it.
      this.armed = true;
      this.turns++;
      setImmediate(this.disarm);
    }
    const now = performance.now();
    if (now - this.windowStart >= WINDOW_MS) this.decide(now);
    return this.pooled;
  }

  private decide(now: number): void {
    const elu = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(elu, this.elu).utilization;
    this.pooled = this.turns >= MIN_TURNS && busy >= (this.pooled ? CALM : BUSY);
    this.elu = elu;
    this.windowStart = now;
    this.turns = 0;
  }
}
