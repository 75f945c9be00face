import { availableParallelism, loadavg } from 'node:os';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';

/** Length of the window the decision is made over, in ms. */
const WINDOW_MS = 100;
/** Loop turns with a token check in a window, at least, for the load to count as concurrent traffic. */
const MIN_TURNS = 20;
/** Event-loop utilization that moves checks to the pool, and the one below which they come back. */
const BUSY = 0.8;
const CALM = 0.5;

/** What the placement is decided on; the defaults read this process and machine. */
export interface PlacementSignals {
  /** A monotonic time in ms. */
  now(): number;
  /** The share of time (0 to 1) the event loop was busy since the previous call. */
  busySinceLast(): number;
  /** The machine's one-minute load average (runnable threads, this process's included); 0 where the OS has none. */
  load(): number;
}

/** The signals of this process: `performance.eventLoopUtilization()` and `os.loadavg()`. */
function processSignals(): PlacementSignals {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  return {
    now: () => performance.now(),
    busySinceLast: () => {
      const current = performance.eventLoopUtilization();
      const busy = performance.eventLoopUtilization(current, last).utilization;
      last = current;
      return busy;
    },
    load: () => loadavg()[0],
  };
}

/**
 * Where the RS256 checks of new tokens run: on this thread, or on libuv's thread pool.
 *
 * On this thread a check costs the signature alone (about 20 µs for RSA-2048) and answers at once:
 * the right place while the process has time to spare. Handing it to the pool costs more CPU in
 * all (about 6 µs to dispatch, and the worker's wake-up) and some latency, but frees this thread
 * for other requests while another core verifies: it pays only when this thread is saturated and
 * a core is idle. So checks move to the pool when, over the last 100 ms, the event loop was busy
 * at least 80 % of the time (they come back below 50 %) while it kept turning (token checks came
 * from 20 or more separate loop turns: a script verifying tokens one after another in one long
 * synchronous stretch keeps them here), and the machine's load average leaves a core idle beyond
 * this thread and the worker. With two cores or fewer they always stay here: the worker could only
 * take the core everything else shares (measured on 2 cores with the load generator beside the
 * server: 46 µs more CPU per new token and a fifth fewer requests per second, as the one-minute
 * load average dips below one core between bursts and the placement follows it). With every core
 * busy they stay here too. Every check is the same wherever it runs.
 */
export class Rs256Placement {
  private readonly cores: number;
  private readonly signals: PlacementSignals;
  private pooled = false;
  private windowStart: number;
  private turns = 0;
  private armed = false;
  private readonly disarm = (): void => {
    this.armed = false;
  };

  /**
   * @param cores the cores the process may use (default `os.availableParallelism()`)
   * @param signals what the decision reads (default: this process's event loop and the machine's load)
   */
  constructor(cores: number = availableParallelism(), signals: PlacementSignals = processSignals()) {
    this.cores = cores;
    this.signals = signals;
    this.windowStart = signals.now();
  }

  /** Whether the next RS256 check goes to libuv's thread pool. */
  onPool(): boolean {
    if (this.cores <= 2) return false;
    if (!this.armed) {
      // The first check of this loop turn: count the turn, and re-arm after it.
      this.armed = true;
      this.turns++;
      setImmediate(this.disarm);
    }
    const now = this.signals.now();
    if (now - this.windowStart >= WINDOW_MS) this.decide(now);
    return this.pooled;
  }

  private decide(now: number): void {
    const busy = this.signals.busySinceLast();
    const saturated = this.turns >= MIN_TURNS && busy >= (this.pooled ? CALM : BUSY);
    // This thread and the worker count about 2 in the load average: a core is idle beyond them below cores - 2.
    this.pooled = saturated && this.signals.load() < this.cores - 2;
    this.windowStart = now;
    this.turns = 0;
  }
}
