/**
 * Load generation from the driver process: autocannon for throughput (fixed duration, or a fixed
 * number of requests each with its own token), and plain concurrent bursts for the storms.
 * Latencies are recorded from autocannon's `response` events in full precision (its own
 * histogram has 1 ms resolution).
 */
import { request, Agent } from 'node:http';
import autocannon from 'autocannon';
import { percentile, round, within } from './common.js';

export type Headers = Readonly<Record<string, string>>;

/** One autocannon run against one route. */
export interface RunResult {
  /** Responses per second (2xx and others), total / duration. */
  readonly rps: number;
  readonly requests: number;
  readonly durationS: number;
  /** Latency percentiles in ms. */
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  readonly errors: number;
  /** CPU time of the server process (all its threads) per response, µs. */
  readonly serverCpuUsPerRequest?: number;
  /**
   * The same, user time only: without the kernel's share, which on loopback includes part of the
   * load generator's TCP work (a response's `writev` runs the receiving side's stack) and moves
   * with how the two processes interleave. A guard's own work is all user time.
   */
  readonly serverUserCpuUsPerRequest?: number;
  /** Timed guards: median wall time of the route's synchronous `canActivate` calls in the run, ns, and how many there were. */
  readonly guardMedianNs?: number;
  readonly guardSyncCalls?: number;
  /** Time the server spent in garbage collection per response, µs (part of the CPU time). */
  readonly serverGcUsPerRequest?: number;
  /** User sync routes: SQL statements the DataSource ran per response. */
  readonly sqlPerRequest?: number;
  /** Distinct-token runs: requests built beyond the token pool (they would repeat a token); 0 expected. */
  readonly tokensReused?: number;
}

class Latencies {
  private data = new Float64Array(1 << 16);
  private n = 0;
  add(ms: number): void {
    if (this.n === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.n++] = ms;
  }
  values(): number[] {
    return Array.from(this.data.subarray(0, this.n));
  }
}

interface Run {
  readonly result: autocannon.Result;
  readonly latencies: number[];
  /** Responses seen, and ms from the start to the last of them. */
  readonly responses: number;
  readonly elapsedMs: number;
}

/**
 * One autocannon run. Throughput is computed here from the response events (responses ÷ time
 * from start to the last response): autocannon stops on its 1 s sampling tick, so its own
 * `duration` is quantised to whole seconds, which distorts fixed-`amount` runs.
 */
function run(opts: autocannon.Options, timeoutMs: number): Promise<Run> {
  const latencies = new Latencies();
  let instance: autocannon.Instance | undefined;
  let responses = 0;
  let last = 0;
  const started = performance.now();
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
    instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
      latencies.add(ms);
      responses++;
      last = performance.now();
    });
  });
  return within(done, timeoutMs, `autocannon ${opts.url}`)
    .then((result) => ({ result, latencies: latencies.values(), responses, elapsedMs: last - started }))
    .catch((err: unknown) => {
      instance?.stop();
      throw err;
    });
}

function summarise({ result, latencies, responses, elapsedMs }: Run): RunResult {
  return {
    rps: round(responses / (elapsedMs / 1000)),
    requests: responses,
    durationS: round(elapsedMs / 1000, 2),
    p50: round(percentile(latencies, 50), 2),
    p99: round(percentile(latencies, 99), 2),
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/** A request's method and body (GET without a body when absent), e.g. a GraphQL POST. */
export interface RequestShape {
  readonly method: 'GET' | 'POST';
  readonly body?: string;
  /** Headers every request carries besides the token headers (e.g. content-type). */
  readonly headers?: Headers;
}

const GET: RequestShape = { method: 'GET' };

/** `connections` clients sending the same headers for `durationS` seconds. */
export async function steady(
  url: string,
  headers: Headers,
  durationS: number,
  connections: number,
  shape: RequestShape = GET,
): Promise<RunResult> {
  const { method, body } = shape;
  return summarise(
    await run(
      { url, connections, duration: durationS, method, body, headers: { ...shape.headers, ...headers }, timeout: 10 },
      (durationS + 30) * 1000,
    ),
  );
}

/**
 * Exactly `amount` requests from `connections` clients, each request with the next header set of
 * `pool` (a new token per request: pool must hold amount + connections sets, since autocannon
 * builds one request ahead per connection).
 */
export async function distinct(
  url: string,
  pool: readonly Headers[],
  amount: number,
  connections: number,
  shape: RequestShape = GET,
): Promise<RunResult> {
  let next = 0;
  const r = await run(
    {
      url,
      connections,
      amount,
      timeout: 10,
      method: shape.method,
      body: shape.body,
      headers: { ...shape.headers },
      requests: [
        {
          setupRequest: (req: autocannon.Request) => {
            const headers = pool[next++ % pool.length];
            return { ...req, headers: { ...req.headers, ...headers } };
          },
        },
      ],
    },
    120_000,
  );
  return { ...summarise(r), tokensReused: Math.max(0, next - pool.length) };
}

/** What a burst of concurrent requests gave. */
export interface BurstResult {
  readonly requests: number;
  /** Status code → count; 0 for transport errors. */
  readonly statuses: Record<string, number>;
  /** From the first request sent to the last answer, ms. */
  readonly allAnsweredMs: number;
  readonly p50: number;
  readonly p99: number;
  /** Response headers of the first answer (to check refreshed tokens came back). */
  readonly sampleHeaders: Record<string, string | string[] | undefined>;
}

/** Sends one GET per header set, all at once (one socket each), and waits for every answer. */
export async function burst(url: string, headerSets: readonly Headers[], timeoutMs = 30_000): Promise<BurstResult> {
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let sampleHeaders: BurstResult['sampleHeaders'] = {};
  const started = performance.now();
  const one = (headers: Headers): Promise<void> =>
    new Promise<void>((resolve) => {
      const t0 = performance.now();
      const req = request(url, { method: 'GET', headers, agent, timeout: timeoutMs }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - t0);
          const code = String(res.statusCode ?? 0);
          statuses[code] = (statuses[code] ?? 0) + 1;
          if (latencies.length === 1) sampleHeaders = res.headers;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        statuses['0'] = (statuses['0'] ?? 0) + 1;
        resolve();
      });
      req.end();
    });
  try {
    await within(Promise.all(headerSets.map(one)), timeoutMs + 5000, `burst ${url}`);
  } finally {
    agent.destroy();
  }
  return {
    requests: headerSets.length,
    statuses,
    allAnsweredMs: round(performance.now() - started, 1),
    p50: round(percentile(latencies, 50), 1),
    p99: round(percentile(latencies, 99), 1),
    sampleHeaders,
  };
}

/** One request (a GET unless `shape` says otherwise); status and body. */
export function get(url: string, headers: Headers = {}, shape: RequestShape = GET): Promise<{ status: number; body: string }> {
  return within(
    new Promise((resolve, reject) => {
      const req = request(url, { method: shape.method, headers: { ...shape.headers, ...headers }, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end(shape.body);
    }),
    10_000,
    `${shape.method} ${url}`,
  );
}
