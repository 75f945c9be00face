import { jest } from '@jest/globals';
import { type PlacementSignals, Rs256Placement } from '../../../src/auth/rs256-placement.js';

/** Signals set by the test: a clock moved by hand, the loop's busy share and the load average. */
class FakeSignals implements PlacementSignals {
  ms = 0;
  busy = 0;
  loadAverage = 0;
  now(): number {
    return this.ms;
  }
  busySinceLast(): number {
    return this.busy;
  }
  load(): number {
    return this.loadAverage;
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** `turns` checks, one per loop turn, over one 100 ms window; the answer of the check that closes it. */
async function windowOf(placement: Rs256Placement, signals: FakeSignals, turns: number): Promise<boolean> {
  for (let i = 0; i < turns - 1; i++) {
    placement.onPool();
    await nextTurn();
  }
  signals.ms += 100;
  const answer = placement.onPool();
  await nextTurn();
  return answer;
}

describe('Rs256Placement', () => {
  it('moves checks to the pool when the loop is saturated by concurrent traffic and a core is idle', async () => {
    const signals = Object.assign(new FakeSignals(), { busy: 0.9, loadAverage: 1.2 });
    const placement = new Rs256Placement(4, signals);
    expect(placement.onPool()).toBe(false);
    await nextTurn();
    expect(await windowOf(placement, signals, 25)).toBe(true);
  });

  it('keeps them on this thread with one or two cores, however busy and idle the machine', async () => {
    const signals = Object.assign(new FakeSignals(), { busy: 1, loadAverage: 0 });
    for (const cores of [1, 2]) {
      const placement = new Rs256Placement(cores, signals);
      for (let w = 0; w < 3; w++) expect(await windowOf(placement, signals, 25)).toBe(false);
    }
  });

  it('keeps them on this thread unless a core is idle beyond this thread and the worker (load below cores - 2)', async () => {
    const signals = Object.assign(new FakeSignals(), { busy: 0.95, loadAverage: 0.9 });
    const three = new Rs256Placement(3, signals);
    expect(await windowOf(three, signals, 25)).toBe(true);
    signals.loadAverage = 1;
    expect(await windowOf(three, signals, 25)).toBe(false);
    const four = new Rs256Placement(4, signals);
    signals.loadAverage = 2;
    expect(await windowOf(four, signals, 25)).toBe(false);
    signals.loadAverage = 1.9;
    expect(await windowOf(four, signals, 25)).toBe(true);
  });

  it('keeps them on this thread for checks made in one long synchronous stretch (few loop turns)', async () => {
    const signals = Object.assign(new FakeSignals(), { busy: 1, loadAverage: 0 });
    const placement = new Rs256Placement(4, signals);
    for (let i = 0; i < 1000; i++) placement.onPool(); // one turn
    signals.ms += 100;
    expect(placement.onPool()).toBe(false);
    await nextTurn();
    expect(await windowOf(placement, signals, 19)).toBe(false);
  });

  it('comes back below 50 % busy, not before (hysteresis)', async () => {
    const signals = Object.assign(new FakeSignals(), { busy: 0.85, loadAverage: 0.5 });
    const placement = new Rs256Placement(4, signals);
    expect(await windowOf(placement, signals, 25)).toBe(true);
    signals.busy = 0.6;
    expect(await windowOf(placement, signals, 25)).toBe(true);
    signals.busy = 0.45;
    expect(await windowOf(placement, signals, 25)).toBe(false);
    signals.busy = 0.6;
    expect(await windowOf(placement, signals, 25)).toBe(false);
  });

  it('decides once per 100 ms window, not per check', async () => {
    const signals = Object.assign(new FakeSignals(), { busy: 0.9, loadAverage: 0 });
    const placement = new Rs256Placement(4, signals);
    const reads = jest.spyOn(signals, 'busySinceLast');
    for (let i = 0; i < 50; i++) {
      signals.ms += 1;
      placement.onPool();
      await nextTurn();
    }
    expect(reads).toHaveBeenCalledTimes(0);
    signals.ms += 50;
    placement.onPool();
    expect(reads).toHaveBeenCalledTimes(1);
  });

  it('reads the real process signals by default', () => {
    const placement = new Rs256Placement();
    expect(placement.onPool()).toBe(false);
  });
});
