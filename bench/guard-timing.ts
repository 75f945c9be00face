/**
 * Time inside `canActivate` on the bench server, per route path: the wall time of each call that
 * answered synchronously, on the main thread, under the load of the round. It isolates a guard's
 * own work from what server CPU per request also holds (the framework, garbage collection, the
 * kernel's loopback TCP), which moves by tens of µs between rounds on a shared machine.
 */
import type { CanActivate, ExecutionContext, Type } from '@nestjs/common';

/** Samples kept per path between two reads (a round), at most. */
const MAX_SAMPLES = 200_000;
const samples = new Map<string, number[]>();

/** Wraps the `canActivate` of each guard class to record the wall time of its synchronous answers (HTTP contexts only). */
export function timeGuards(guards: readonly Type<CanActivate>[]): void {
  for (const guard of guards) {
    const original = guard.prototype.canActivate;
    guard.prototype.canActivate = function timed(this: CanActivate, context: ExecutionContext) {
      const t0 = process.hrtime.bigint();
      const answer = original.call(this, context);
      const ns = Number(process.hrtime.bigint() - t0);
      if (answer === true && context.getType() === 'http') record(context, ns);
      return answer;
    };
  }
}

function record(context: ExecutionContext, ns: number): void {
  const url = context.switchToHttp().getRequest<{ url?: string }>().url ?? '';
  const path = url.split('?')[0];
  let list = samples.get(path);
  if (!list) samples.set(path, (list = []));
  if (list.length < MAX_SAMPLES) list.push(ns);
}

/** The median ns per path since the previous call, with the number of calls; the samples are then dropped. */
export function takeGuardTimes(): Record<string, { calls: number; medianNs: number }> {
  const out: Record<string, { calls: number; medianNs: number }> = {};
  for (const [path, list] of samples) {
    list.sort((a, b) => a - b);
    out[path] = { calls: list.length, medianNs: list[list.length >> 1] };
  }
  samples.clear();
  return out;
}
