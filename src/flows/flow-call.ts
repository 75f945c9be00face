/**
 * Runs one call under an overall deadline, SDK retries included: the signal aborts the request
 * when `timeoutMs` passes, and the promise rejects with a `TimeoutError` then even if the request
 * does not notice the abort.
 */
export async function withDeadline<T>(operation: string, timeoutMs: number, send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const timeout = Object.assign(new Error(`${operation} timed out`), { name: 'TimeoutError' });
      controller.abort(timeout);
      reject(timeout);
    }, timeoutMs);
  });
  try {
    return await Promise.race([send(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
