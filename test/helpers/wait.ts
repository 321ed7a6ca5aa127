/** Resolves after `ms` milliseconds — for tests that must let time pass (a lease expiring, a grace period). */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface UntilOptions {
  /** How long to keep polling before giving up; 5 000 ms unless told. */
  timeoutMs?: number;
  /** Pause between two probes; 50 ms unless told. */
  intervalMs?: number;
  /** Treat a probe that throws (or rejects) as "not yet" rather than failing at once; the last error is named on timeout. */
  ignoreErrors?: boolean;
}

/**
 * Polls `probe` until it returns something other than `undefined`, `null` or `false`, and resolves
 * with that value — so `0`, `''` and `true` count as done. A probe that returns a boolean makes
 * this a plain "wait until the condition holds". Throws `timed out after N ms waiting for <what>`
 * (with the last error when `ignoreErrors`) once `timeoutMs` has passed; the probe runs at least
 * once, and once more at the deadline.
 */
export async function until<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: UntilOptions = {},
): Promise<T> {
  const { timeoutMs = 5_000, intervalMs = 50, ignoreErrors = false } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value as T;
    } catch (err) {
      if (!ignoreErrors) throw err;
      lastError = err;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      const suffix = lastError === undefined ? '' : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${suffix}`);
    }
    await sleep(Math.min(intervalMs, left));
  }
}
