import { AuthUnavailableError } from '../../../src/errors/cognito-auth.errors.js';
import { SharedSingleFlight } from '../../../src/shared-state/shared-single-flight.js';
import { StateCipher } from '../../../src/shared-state/state-cipher.js';
import { SharedMemoryStore } from './shared-memory.store.js';

const cipher = new StateCipher('unit-state-key-0123456789abcdefghijklmnop');

/** Work that runs only when released, counting its runs. */
function gatedWork(value = 'result') {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const work = {
    runs: 0,
    release,
    run: async () => {
      work.runs++;
      await gate;
      return { value, ttlMs: 10_000 };
    },
  };
  return work;
}

describe('SharedSingleFlight', () => {
  const flights: SharedSingleFlight[] = [];
  const flight = (store: SharedMemoryStore, pollIntervalMs = 5): SharedSingleFlight => {
    const f = new SharedSingleFlight({ namespace: 'test', store, cipher, retryAfterSeconds: 5, pollIntervalMs });
    flights.push(f);
    return f;
  };
  afterEach(async () => {
    for (const f of flights.splice(0)) await f.close();
  });

  it('runs the work once across instances: the others wait for the lock holder and get its result', async () => {
    const shared = new SharedMemoryStore();
    const a = flight(shared);
    const b = flight(new SharedMemoryStore(Date.now, shared.inner));
    const work = gatedWork();
    const first = a.run('id-1', work.run, 5000);
    await new Promise((resolve) => setImmediate(resolve));
    const second = b.run('id-1', work.run, 5000);
    const third = b.run('id-1', work.run, 5000);
    work.release();
    await expect(Promise.all([first, second, third])).resolves.toEqual(['result', 'result', 'result']);
    expect(work.runs).toBe(1);
  });

  it('hands out the kept result afterwards without running the work, sealed in the store', async () => {
    const store = new SharedMemoryStore();
    const f = flight(store);
    await f.run('id-2', async () => ({ value: 'secret-value', ttlMs: 10_000 }), 5000);
    let runs = 0;
    const count = async () => ({ value: `other-${++runs}`, ttlMs: 1 });
    await expect(flight(new SharedMemoryStore(Date.now, store.inner)).run('id-2', count, 5000)).resolves.toBe('secret-value');
    expect(runs).toBe(0);
    const [[key, value]] = await store.inner.list('test:result:');
    expect(key).toBe('test:result:id-2');
    expect(value).not.toContain('secret-value');
  });

  it('a waiter takes over when the lock holder vanished (its lock expired)', async () => {
    const store = new SharedMemoryStore();
    await store.inner.set('test:lock:id-3', 'dead-holder', 30);
    let runs = 0;
    await expect(flight(store).run('id-3', async () => ({ value: `run-${++runs}`, ttlMs: 10_000 }), 30)).resolves.toBe('run-1');
    expect(runs).toBe(1);
  });

  it('a failure of the work is not shared: the holder throws it, the next caller runs the work again', async () => {
    const store = new SharedMemoryStore();
    const f = flight(store);
    await expect(f.run('id-4', () => Promise.reject(new AuthUnavailableError()), 5000)).rejects.toBeInstanceOf(AuthUnavailableError);
    await expect(f.run('id-4', async () => ({ value: 'ok', ttlMs: 1000 }), 5000)).resolves.toBe('ok');
  });

  it('answers 503 when the holder delivers nothing while its lock lives', async () => {
    const store = new SharedMemoryStore();
    await store.inner.set('test:lock:id-5', 'slow-holder', 60_000);
    await expect(flight(store, 1).run('id-5', async () => ({ value: 'never', ttlMs: 1 }), 20)).rejects.toBeInstanceOf(AuthUnavailableError);
  });

  it('falls back to running the work in this process when the store is down', async () => {
    const store = new SharedMemoryStore();
    store.setDown(true);
    let runs = 0;
    await expect(flight(store).run('id-6', async () => ({ value: `local-${++runs}`, ttlMs: 1000 }), 5000)).resolves.toBe('local-1');
  });
});
