/**
 * setupFilesAfterEnv of `npm run test:security`: watches every answer the probe app routes
 * (`/t/...`, `/guarded/...`) send, per test, without touching the spec: status, 5xx, and whether a
 * fragment of a token the request carried came back in the body or a non-token header. The
 * reporter uses it for suites that keep no counters of their own (the hostile-token suite), and
 * combines it with each test's pass/fail: a passing test asserted every code it got.
 */
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { findLeaks } from '../../support/capture-logger.js';
import { REPO_ROOT, STATS_DIR } from './tally.js';

interface TestTap {
  responses: number;
  /** Answers by `status code`, e.g. `401 token_invalid`. */
  byStatus: Record<string, number>;
  fiveXX: number;
  leaked: number;
}

interface Sink {
  current: string;
  tests: Record<string, TestTap>;
}

type PatchedResponse = http.ServerResponse & { [BODY]?: string };

const SINK = Symbol.for('nest-cognito-auth.security.wiretap.sink');
const PATCHED = Symbol.for('nest-cognito-auth.security.wiretap.patched');
const BODY = Symbol.for('nest-cognito-auth.security.wiretap.body');
const MAX_BODY = 64 * 1024;
const TOKEN_HEADERS = new Set(['accesstoken', 'idtoken', 'refreshtoken', 'set-cookie']);
const proto = http.ServerResponse.prototype as unknown as Record<symbol, unknown> & {
  write: (...args: unknown[]) => boolean;
  end: (...args: unknown[]) => unknown;
};

function text(chunk: unknown, encoding: unknown): string {
  if (typeof chunk === 'string') return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk).toString(typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  return '';
}

function remember(res: PatchedResponse, chunk: unknown, encoding: unknown): void {
  const t = text(chunk, encoding);
  if (t && (res[BODY]?.length ?? 0) < MAX_BODY) res[BODY] = (res[BODY] ?? '') + t;
}

function tokensOf(req: http.IncomingMessage): string[] {
  const h = req.headers;
  const out: string[] = [];
  for (const name of ['accesstoken', 'idtoken', 'refreshtoken']) {
    const v = h[name];
    if (typeof v === 'string') out.push(v.trim());
  }
  if (typeof h.authorization === 'string') out.push(h.authorization.replace(/^\S+\s+/, ''));
  if (typeof h.cookie === 'string') {
    for (const part of h.cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0) out.push(part.slice(eq + 1).trim());
    }
  }
  return out;
}

function observe(sink: Sink, res: PatchedResponse): void {
  const req = res.req as http.IncomingMessage | undefined;
  if (!req?.url || !/^\/(t|guarded)\//.test(req.url)) return;
  const tap = (sink.tests[sink.current] ??= { responses: 0, byStatus: {}, fiveXX: 0, leaked: 0 });
  tap.responses++;
  let code = '';
  try {
    const parsed = JSON.parse(res[BODY] ?? '') as { code?: unknown } | null;
    if (typeof parsed?.code === 'string') code = ` ${parsed.code}`;
  } catch {
    // not an error body
  }
  const key = `${res.statusCode}${code}`;
  tap.byStatus[key] = (tap.byStatus[key] ?? 0) + 1;
  if (res.statusCode >= 500) tap.fiveXX++;
  const texts = [res[BODY] ?? ''];
  for (const [name, value] of Object.entries(res.getHeaders())) {
    if (!TOKEN_HEADERS.has(name.toLowerCase())) texts.push(`${name}: ${String(value)}`);
  }
  tap.leaked += findLeaks(texts, tokensOf(req)).length;
}

if (!proto[PATCHED]) {
  proto[PATCHED] = true;
  const write = proto.write;
  const end = proto.end;
  proto.write = function (this: PatchedResponse, ...args: unknown[]) {
    try {
      if (proto[SINK]) remember(this, args[0], args[1]);
    } catch {
      // the tap never breaks an answer
    }
    return write.apply(this, args);
  };
  proto.end = function (this: PatchedResponse, ...args: unknown[]) {
    try {
      const sink = proto[SINK] as Sink | undefined;
      if (sink) {
        if (typeof args[0] !== 'function') remember(this, args[0], args[1]);
        observe(sink, this);
      }
    } catch {
      // the tap never breaks an answer
    }
    return end.apply(this, args);
  };
}

const sink: Sink = { current: '(outside a test)', tests: {} };
proto[SINK] = sink;

beforeEach(() => {
  sink.current = expect.getState().currentTestName ?? '(unnamed)';
});
afterEach(() => {
  sink.current = '(between tests)';
});
afterAll(() => {
  if (proto[SINK] === sink) proto[SINK] = undefined;
  const testPath = expect.getState().testPath;
  if (!testPath) return;
  const file = path.relative(REPO_ROOT, testPath);
  mkdirSync(STATS_DIR, { recursive: true });
  writeFileSync(
    path.join(STATS_DIR, `tap-${file.replace(/[^A-Za-z0-9]+/g, '-')}.json`),
    `${JSON.stringify({ file, tests: sink.tests }, null, 2)}\n`,
  );
});
