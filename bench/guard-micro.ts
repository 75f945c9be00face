/**
 * The guard measured in-process (a child process of bench/run.ts; result over IPC): ns per
 * `canActivate` on a fresh HTTP execution context, as Nest calls it per request, for
 *   - a repeated token (a verified-token cache hit) and a new token (never seen), in `access` and
 *     `id+access` modes: `CognitoGuard` from `CognitoAuthModule.forRoot` (users off, cache as shipped);
 *   - a guard that only returns `true` (what the harness itself costs);
 *   - a 20-line guard keeping verified payloads in a `Map` keyed by SHA-256 (the floor of a
 *     cached path), on the same repeated tokens;
 *   - the bare RS256 check, `crypto.verify` of the same new tokens (one, or two for a pair);
 *   - an aws-jwt-verify guard on the same new access tokens (it verifies every time).
 * Every measure runs in each of `rounds` rounds, in a rotated order (reversed every other round);
 * the figure is the median over rounds of (wall time / calls), with the CPU time of the process
 * (all threads, so work handed to libuv's thread pool counts) per call beside it. Before the
 * rounds the guards' caches are filled to `tokenCacheSize` with other new tokens, so every new
 * token also pays for an eviction, as on a busy server.
 * argv: [rounds] [new tokens per round] [repeated calls per round]
 */
import 'reflect-metadata';
import { createHash, createPublicKey, type KeyObject, verify as cryptoVerify } from 'node:crypto';
import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  type INestApplicationContext,
  Module,
  UnauthorizedException,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { CognitoAuthModule, CognitoGuard } from '../src/index.js';
import type { IssuedTokens } from '../src/testing/index.js';
import { CLIENT_ID, issue, libraryOptions, median, mintMany, POOL_ID, round, runAsChild, startIdp } from './common.js';

/** One measure over all rounds. */
export interface GuardMicroResult {
  readonly name: string;
  readonly mode: 'access' | 'id+access' | '-';
  readonly token: 'repeated' | 'new' | '-';
  /** Median over the rounds of wall ns per call, and the rounds' min and max. */
  readonly ns: number;
  readonly nsMin: number;
  readonly nsMax: number;
  /** Median over the rounds of process CPU ns per call (all threads). */
  readonly cpuNs: number;
}

const ROUNDS = Number(process.argv[2] ?? 5);
const NEW_PER_ROUND = Number(process.argv[3] ?? 2000);
const REPEATED_PER_ROUND = Number(process.argv[4] ?? 20_000);
const CACHE_SIZE = 10_000; // the default tokenCacheSize

type Headers = Record<string, string>;
type Guard = (context: ExecutionContext) => boolean | Promise<boolean>;

@Controller('bench')
class BenchController {
  @Get()
  get(): void {}
}
const HANDLER = BenchController.prototype.get;
const RESPONSE = { setHeader: () => undefined, getHeader: () => undefined, header: () => undefined };

function contextFor(headers: Headers): ExecutionContext {
  return new ExecutionContextHost(
    [{ headers, method: 'GET' }, RESPONSE, () => undefined],
    BenchController,
    HANDLER,
  ) as unknown as ExecutionContext;
}

function tokensOf(context: ExecutionContext): string[] {
  const h = context.switchToHttp().getRequest<{ headers: Headers }>().headers;
  const bearer = h.authorization?.startsWith('Bearer ') ? h.authorization.slice(7) : undefined;
  return [bearer ?? h.accesstoken, h.idtoken].filter((t): t is string => t !== undefined);
}

/** The 20-line guard: verified payloads in a Map keyed by SHA-256 of the token (verification on a miss). */
function mapGuard(key: KeyObject): Guard {
  const verified = new Map<string, { exp: number }>();
  return (context) => {
    const req = context.switchToHttp().getRequest<{ headers: Headers; user?: unknown }>();
    const tokens = tokensOf(context);
    if (tokens.length === 0) throw new UnauthorizedException();
    for (const token of tokens) {
      const hash = createHash('sha256').update(token).digest('base64');
      let payload = verified.get(hash);
      if (!payload) {
        const [h, p, s] = token.split('.');
        if (!cryptoVerify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))) throw new UnauthorizedException();
        payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { exp: number };
        if (verified.size >= CACHE_SIZE) verified.delete(verified.keys().next().value as string);
        verified.set(hash, payload);
      }
      if (payload.exp * 1000 < Date.now()) throw new UnauthorizedException();
      req.user = payload;
    }
    return true;
  };
}

/** The bare RS256 check of the tokens a context carries (no claims, no cache). */
function bareRs256(key: KeyObject): Guard {
  return (context) => {
    for (const token of tokensOf(context)) {
      const dot = token.lastIndexOf('.');
      if (!cryptoVerify('sha256', Buffer.from(token.slice(0, dot), 'ascii'), key, Buffer.from(token.slice(dot + 1), 'base64url'))) {
        throw new UnauthorizedException();
      }
    }
    return true;
  };
}

async function appGuard(
  idp: { endpoint: string; jwksUri: string },
  tokenUse: 'access' | 'id+access',
): Promise<[INestApplicationContext, CanActivate]> {
  @Module({ imports: [CognitoAuthModule.forRoot({ ...libraryOptions(idp), tokenUse, users: false, globalGuard: false })] })
  class GuardModule {}
  const app = await NestFactory.createApplicationContext(GuardModule, { logger: ['error', 'warn'] });
  return [app, app.get(CognitoGuard)];
}

/**
 * Calls `guard` once per header set, one at a time; wall and CPU ns per call. Each call gets a new
 * context, made just before it and dropped after it, as a server's request is: contexts made in
 * advance and held to the end would keep what a guard leaves on its request alive (and make the
 * garbage collector move it), which no server does. Making one is in every measure, the true-guard's too.
 */
async function time(guard: Guard, headerSets: readonly Headers[], calls: number): Promise<{ ns: number; cpuNs: number }> {
  const n = headerSets.length;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    const context = contextFor(headerSets[i % n]);
    const result = guard(context);
    if (result !== true && (await result) !== true) throw new Error('the guard refused a bench token');
  }
  const ns = Number(process.hrtime.bigint() - t0) / calls;
  const cpu = process.cpuUsage(cpu0);
  return { ns, cpuNs: ((cpu.user + cpu.system) * 1000) / calls };
}

interface Measure {
  readonly name: string;
  readonly mode: GuardMicroResult['mode'];
  readonly token: GuardMicroResult['token'];
  readonly guard: Guard;
  /** Header sets of round r (new tokens: never seen by this guard). */
  readonly headers: (r: number) => readonly Headers[];
  readonly calls: number;
}

function order<T>(items: readonly T[], r: number): T[] {
  const shift = Math.floor((r * items.length) / ROUNDS) % items.length;
  const rotated = [...items.slice(shift), ...items.slice(0, shift)];
  return r % 2 === 1 ? rotated.reverse() : rotated;
}

/** The guards measured, on their keys and apps. */
interface Guards {
  readonly access: Guard;
  readonly paired: Guard;
  readonly aws: Guard;
  readonly map: Guard;
  readonly bare: Guard;
}

/** Every guard of the measure; the two Nest apps holding CognitoGuard are added to `apps` (closed by the caller). */
async function guardsOf(idp: { endpoint: string; jwksUri: string }, apps: INestApplicationContext[]): Promise<Guards> {
  const jwks = (await (await fetch(idp.jwksUri)).json()) as { keys: Record<string, string>[] };
  const key = createPublicKey({ key: jwks.keys[0], format: 'jwk' });
  const [accessApp, accessGuard] = await appGuard(idp, 'access');
  const [pairApp, pairGuard] = await appGuard(idp, 'id+access');
  apps.push(accessApp, pairApp);
  const verifier = CognitoJwtVerifier.create({ userPoolId: POOL_ID, tokenUse: 'access', clientId: CLIENT_ID });
  verifier.cacheJwks(jwks as unknown as Parameters<typeof verifier.cacheJwks>[0]);
  return {
    access: (c) => accessGuard.canActivate(c) as boolean | Promise<boolean>,
    paired: (c) => pairGuard.canActivate(c) as boolean | Promise<boolean>,
    aws: async (c) => {
      c.switchToHttp().getRequest<{ user?: unknown }>().user = await verifier.verify(tokensOf(c)[0]);
      return true;
    },
    map: mapGuard(key),
    bare: bareRs256(key),
  };
}

const bearer = (t: IssuedTokens): Headers => ({ authorization: `Bearer ${t.accessToken}` });
const pair = (t: IssuedTokens): Headers => ({ accesstoken: t.accessToken, idtoken: t.idToken });

/** The measures of a round: the repeated token on `repeated`, new tokens from `freshOf(round)`. */
function measuresOf(g: Guards, repeated: IssuedTokens, freshOf: (r: number) => IssuedTokens[]): Measure[] {
  const once = [repeated];
  const same = (name: string, mode: Measure['mode'], token: Measure['token'], guard: Guard, headers: typeof bearer): Measure => ({
    name,
    mode,
    token,
    guard,
    headers: () => once.map(headers),
    calls: REPEATED_PER_ROUND,
  });
  const fresh = (name: string, mode: Measure['mode'], guard: Guard, headers: typeof bearer): Measure => ({
    name,
    mode,
    token: 'new',
    guard,
    headers: (r) => freshOf(r).map(headers),
    calls: NEW_PER_ROUND,
  });
  return [
    same('a guard returning true', '-', '-', () => true, bearer),
    same('SHA-256-keyed Map guard', 'access', 'repeated', g.map, bearer),
    same('SHA-256-keyed Map guard', 'id+access', 'repeated', g.map, pair),
    same('CognitoGuard', 'access', 'repeated', g.access, bearer),
    same('CognitoGuard', 'id+access', 'repeated', g.paired, pair),
    fresh('CognitoGuard', 'access', g.access, bearer),
    fresh('CognitoGuard', 'id+access', g.paired, pair),
    fresh('bare RS256 crypto.verify', 'access', g.bare, bearer),
    fresh('bare RS256 crypto.verify', 'id+access', g.bare, pair),
    fresh('aws-jwt-verify guard', 'access', g.aws, bearer),
  ];
}

/** Every measure in each round, in the round's order; medians over the rounds. */
async function measureRounds(measures: readonly Measure[]): Promise<GuardMicroResult[]> {
  const runs = new Map<Measure, { ns: number; cpuNs: number }[]>(measures.map((m) => [m, []]));
  for (let r = 0; r < ROUNDS; r++) for (const m of order(measures, r)) runs.get(m)!.push(await time(m.guard, m.headers(r), m.calls));
  return measures.map((m) => {
    const ns = runs.get(m)!.map((x) => x.ns);
    return {
      name: m.name,
      mode: m.mode,
      token: m.token,
      ns: round(median(ns)),
      nsMin: round(Math.min(...ns)),
      nsMax: round(Math.max(...ns)),
      cpuNs: round(median(runs.get(m)!.map((x) => x.cpuNs))),
    };
  });
}

async function main(): Promise<void> {
  const idp = await startIdp();
  const apps: INestApplicationContext[] = [];
  try {
    const repeated = await issue(idp);
    const fill = await mintMany(CACHE_SIZE, () => issue(idp));
    const fresh = await mintMany(ROUNDS * NEW_PER_ROUND, () => issue(idp));
    const freshOf = (r: number) => fresh.slice(r * NEW_PER_ROUND, (r + 1) * NEW_PER_ROUND);
    const g = await guardsOf(idp, apps);

    // Fill both caches to tokenCacheSize (the pair guard caches two entries per pair).
    await time(g.access, fill.map(bearer), fill.length);
    await time(g.paired, fill.slice(0, CACHE_SIZE / 2).map(pair), CACHE_SIZE / 2);
    const measures = measuresOf(g, repeated, freshOf);
    // Warm-up (JIT): the repeated measures as in a round; new-token guards on the fill tokens again (cache hits).
    for (const m of measures.filter((x) => x.token !== 'new')) await time(m.guard, m.headers(0), Math.min(2000, m.calls));
    await time(g.bare, fill.slice(0, 500).map(pair), 500);
    await time(g.aws, fill.slice(0, 500).map(bearer), 500);

    const results = await measureRounds(measures);
    process.send?.({ type: 'guard-micro', rounds: ROUNDS, newPerRound: NEW_PER_ROUND, repeatedPerRound: REPEATED_PER_ROUND, results });
    if (!process.send) console.table(results);
  } finally {
    for (const app of apps) await app.close();
    await idp.close();
  }
}

runAsChild(main);
