/**
 * Runs a fast-check property over real HTTP with bounded concurrency: each run of the property is a
 * batch of `concurrency` generated cases sent at once (a fixed-length `fc.array`), so `cases`
 * cases take `cases / concurrency` runs. A failing batch is shrunk by fast-check like any other
 * counterexample (element by element), and the seed is printed to replay it (`FUZZ_SEED`).
 */
import fc from 'fast-check';

export interface BatchedOptions {
  /** Cases to generate (at least; rounded up to whole batches). */
  cases: number;
  /** Cases in flight at once. */
  concurrency: number;
  /** Fixed seed; default `FUZZ_SEED` from the environment, else random. */
  seed?: number;
  /** Runs after every batch (batches run one after another), e.g. to check new log lines. */
  afterBatch?: () => void | Promise<void>;
}

export async function assertBatched<T>(
  arb: fc.Arbitrary<T>,
  check: (value: T) => Promise<void>,
  opts: BatchedOptions,
): Promise<{ seed: number; runs: number; cases: number }> {
  const seed = opts.seed ?? (process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0);
  const runs = Math.ceil(opts.cases / opts.concurrency);
  const batch = fc.array(arb, { minLength: opts.concurrency, maxLength: opts.concurrency });
  await fc.assert(
    fc.asyncProperty(batch, async (values) => {
      const settled = await Promise.allSettled(values.map(check));
      await opts.afterBatch?.();
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
    }),
    { numRuns: runs, seed, endOnFailure: process.env.FUZZ_SHRINK !== '1' },
  );
  return { seed, runs, cases: runs * opts.concurrency };
}

/** Header-safe strings: HTAB, SP, visible ASCII and latin1 obs-text (what Node's client sends as is). */
export const HEADER_CHAR = fc
  .oneof(
    { weight: 12, arbitrary: fc.integer({ min: 0x21, max: 0x7e }) },
    { weight: 2, arbitrary: fc.constantFrom(0x20, 0x09) },
    { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
  )
  .map((c) => String.fromCharCode(c));

export function headerString(constraints: { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<string> {
  return fc.string({ unit: HEADER_CHAR, ...constraints });
}

/** Unicode text sent the way a UTF-8 client would: its UTF-8 bytes as a latin1 header string. */
export const utf8AsLatin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

export const B64URL_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
export const b64urlString = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...B64URL_CHARS.split('')), minLength: min, maxLength: max });

/** `arb` one time in `oneIn`, else `undefined`. (`fc.option`'s `freq` is the other way round: nil one time in `freq`.) */
export function rarely<T>(arb: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
}
