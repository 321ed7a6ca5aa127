import { describe, expect, it } from 'vitest';
import { sleep, until } from '../helpers/wait.js';

describe('test helper until()', () => {
  it('resolves with the first value that is not undefined/null/false, counting 0 and "" as values', async () => {
    let n = 0;
    const seq: Array<number | undefined | null | false> = [undefined, null, false, 0];
    await expect(until('the fourth probe', () => seq[n++], { intervalMs: 1 })).resolves.toBe(0);
    expect(n).toBe(4);
    await expect(until('an empty string', async () => '', { intervalMs: 1 })).resolves.toBe('');
    await expect(until('a condition', () => true)).resolves.toBe(true);
  });

  it('times out naming what it waited for and how long, having probed more than once', async () => {
    let probes = 0;
    const started = Date.now();
    await expect(
      until(
        'the moon',
        () => {
          probes++;
          return false;
        },
        { timeoutMs: 120, intervalMs: 10 },
      ),
    ).rejects.toThrow('timed out after 120 ms waiting for the moon');
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
    expect(probes).toBeGreaterThan(2);
  });

  it('a throwing probe fails at once unless ignoreErrors; with it, the value after the errors wins and the last error is named on timeout', async () => {
    await expect(
      until('x', () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');

    let n = 0;
    const flaky = async () => {
      if (++n < 3) throw new Error(`not ready ${n}`);
      return 'ok';
    };
    await expect(until('flaky', flaky, { ignoreErrors: true, intervalMs: 1 })).resolves.toBe('ok');
    expect(n).toBe(3);

    let m = 0;
    await expect(
      until(
        'never',
        async () => {
          throw new Error(`refused ${++m}`);
        },
        { ignoreErrors: true, timeoutMs: 60, intervalMs: 5 },
      ),
    ).rejects.toThrow(/^timed out after 60 ms waiting for never \(last error: refused \d+\)$/);
    expect(m).toBeGreaterThan(1);
  });

  it('sleep lets the time pass', async () => {
    const started = Date.now();
    await sleep(40);
    expect(Date.now() - started).toBeGreaterThanOrEqual(38);
  });
});
