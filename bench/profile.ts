/**
 * Where the bench app spends its main thread with new tokens: `node --cpu-prof` on the bench
 * server (bench/server.ts, Express), a warm-up of distinct tokens, then `requests` more requests,
 * each with a token the route has never seen; only the samples between the two marks (the load
 * window) are counted. Prints the top self-time frames and the time by layer, and writes them to
 * bench/results/profile-<label>.json.
 *
 *   npx tsc -p bench/tsconfig.json && node dist-bench/bench/profile.js [route] [requests] [label] [new|repeated]
 *   e.g. node dist-bench/bench/profile.js /access 20000 after new
 *
 * The profile is of the main thread: an RS256 check handed to libuv's thread pool is not in it
 * (its cost shows in the server CPU per request that the bench reports).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { issue, mintMany, round, startIdp } from './common.js';
import { distinct, type Headers } from './load.js';
import { BenchServer } from './processes.js';

const ROUTE = process.argv[2] ?? '/access';
const REQUESTS = Number(process.argv[3] ?? 20_000);
const LABEL = process.argv[4] ?? 'latest';
/** `new` (a token never seen on every request) or `repeated` (one token, cached). */
const TOKENS = process.argv[5] === 'repeated' ? 'repeated' : 'new';
const WARMUP = 3000;
const CONNECTIONS = 32;
const INTERVAL_US = 200;
const TOP = 25;

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: number[];
}
interface CpuProfile {
  readonly nodes: ProfileNode[];
  readonly startTime: number;
  readonly samples: number[];
  readonly timeDeltas: number[];
}

/** One row of the summary: a frame or a layer, its self time in the window. */
export interface ProfileRow {
  readonly name: string;
  readonly ms: number;
  readonly pct: number;
}

/** The layer a frame belongs to, from its script URL. */
function layerOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : 'V8 / native';
  if (url.includes('/dist-bench/src/')) return 'nest-cognito-auth';
  if (url.includes('/dist-bench/bench/')) return 'bench app';
  if (url.startsWith('node:')) return 'Node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (!pkg) return 'other';
  if (pkg.startsWith('@nestjs/')) return 'NestJS';
  return ['express', 'router', 'body-parser', 'finalhandler', 'send', 'qs', 'path-to-regexp', 'on-finished', 'etag'].includes(pkg)
    ? 'Express'
    : pkg;
}

function frameName(frame: ProfileNode['callFrame']): string {
  const file = frame.url.replace(/^.*\/(dist-bench\/|node_modules\/)/, '').replace(/^file:\/\//, '');
  return `${frame.functionName || '(anonymous)'}${file ? ` ${file}:${frame.lineNumber + 1}` : ''}`;
}

/** Self time per frame and per layer, counting only the samples taken between `fromUs` and `toUs`. */
export function summarise(
  profile: CpuProfile,
  fromUs: number,
  toUs: number,
): { totalMs: number; frames: ProfileRow[]; layers: ProfileRow[]; library: ProfileRow[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const frames = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const layers = new Map<string, number>();
  let t = profile.startTime;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i];
    t += dt;
    if (t < fromUs || t > toUs) continue;
    const frame = byId.get(profile.samples[i])!;
    frames.set(frameName(frame), (frames.get(frameName(frame)) ?? 0) + dt);
    layers.set(layerOf(frame), (layers.get(layerOf(frame)) ?? 0) + dt);
    total += dt;
    // Inclusive time of the library's functions: each one on the sample's stack counts once.
    const seen = new Set<string>();
    for (let id: number | undefined = profile.samples[i]; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!;
      if (layerOf(f) === 'nest-cognito-auth' && !seen.has(frameName(f))) {
        seen.add(frameName(f));
        inclusive.set(frameName(f), (inclusive.get(frameName(f)) ?? 0) + dt);
      }
    }
  }
  const rows = (m: Map<string, number>): ProfileRow[] =>
    [...m].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: round(us / 1000, 1), pct: round((us / total) * 100, 1) }));
  return { totalMs: round(total / 1000), frames: rows(frames).slice(0, TOP), layers: rows(layers), library: rows(inclusive).slice(0, TOP) };
}

async function main(): Promise<void> {
  const idp = await startIdp();
  const dir = await mkdtemp(join(tmpdir(), 'nca-prof-'));
  try {
    const auth = ROUTE === '/access' ? 'bearer' : 'pair';
    const sets = await mintMany(WARMUP + REQUESTS + 2 * CONNECTIONS + 16, () => issue(idp));
    const headers = sets.map((t): Headers =>
      auth === 'bearer' ? { authorization: `Bearer ${t.accessToken}` } : { accesstoken: t.accessToken, idtoken: t.idToken },
    );
    const execArgv = ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${INTERVAL_US}`];
    const server = await BenchServer.start({ mode: 'full', idp: { endpoint: idp.endpoint, jwksUri: idp.jwksUri } }, execArgv);
    await distinct(server.base + ROUTE, headers.slice(0, WARMUP + CONNECTIONS), WARMUP, CONNECTIONS);
    const from = await server.mark();
    const load = TOKENS === 'new' ? headers.slice(WARMUP + CONNECTIONS) : Array.from({ length: REQUESTS + CONNECTIONS }, () => headers[0]);
    const res = await server.measured(() => distinct(server.base + ROUTE, load, REQUESTS, CONNECTIONS));
    const to = await server.mark();
    await server.stop();
    const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('the server wrote no .cpuprofile');
    const summary = summarise(JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile, from, to);
    const out = {
      label: LABEL,
      route: ROUTE,
      tokens: TOKENS,
      requests: REQUESTS,
      rps: res.rps,
      serverCpuUsPerRequest: res.serverCpuUsPerRequest,
      non2xx: res.non2xx,
      ...summary,
    };
    const resultsDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
    await mkdir(resultsDir, { recursive: true });
    await writeFile(join(resultsDir, `profile-${LABEL}${ROUTE.replace(/\W/g, '-')}-${TOKENS}.json`), `${JSON.stringify(out, null, 2)}\n`);
    const perReq = (ms: number): string => `${round((ms * 1000) / REQUESTS, 1)} µs/req`;
    const lines = [
      `${ROUTE}, ${REQUESTS} requests, ${TOKENS} tokens: ${res.rps} req/s, server CPU ${res.serverCpuUsPerRequest} µs/req, main thread sampled ${summary.totalMs} ms`,
      '',
      '| layer | self ms | % | per request |',
      '|---|---:|---:|---:|',
      ...summary.layers.map((l) => `| ${l.name} | ${l.ms} | ${l.pct} | ${perReq(l.ms)} |`),
      '',
      '| frame (self time) | self ms | % | per request |',
      '|---|---:|---:|---:|',
      ...summary.frames.map((f) => `| \`${f.name}\` | ${f.ms} | ${f.pct} | ${perReq(f.ms)} |`),
      '',
      '| library function (inclusive: itself and what it calls, synchronously) | ms | % | per request |',
      '|---|---:|---:|---:|',
      ...summary.library.map((f) => `| \`${f.name}\` | ${f.ms} | ${f.pct} | ${perReq(f.ms)} |`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await idp.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  main()
    .then(() => process.exit(0))
    .catch((err: unknown) => {
      process.stderr.write(`profile failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    });
