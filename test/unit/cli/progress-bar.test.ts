import { describe, expect, it } from 'vitest';
import { createProgressBar } from '../../../src/cli/progress-bar.js';

/** A stand-in for process.stderr: cli-progress needs write and the TTY cursor calls. */
function fakeStderr(isTTY: boolean) {
  let text = '';
  const stream = {
    isTTY,
    columns: 120,
    write: (s: string) => ((text += s), true),
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
    on: () => stream,
    removeListener: () => stream,
  };
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
}

describe('createProgressBar', () => {
  it('draws on a terminal: label, percentage and MiB done of total', () => {
    const err = fakeStderr(true);
    const bar = createProgressBar({ label: 'uploading w.bin', total: 64 * 1048576, unit: 'bytes', threshold: 1, stream: err.stream });
    bar.add(32 * 1048576);
    bar.stop();
    expect(err.text()).toMatch(/uploading w\.bin \[.*\] \d+% \| \d+\.\d MiB \/ 64\.0 MiB/);
  });

  it('counts rows with thousands separators', () => {
    const err = fakeStderr(true);
    const bar = createProgressBar({ label: 'samples s.csv', total: 120_000, unit: 'rows', threshold: 1, stream: err.stream });
    bar.add(120_000);
    bar.stop();
    expect(err.text()).toContain('/ 120,000');
  });

  it('stays silent when stderr is not a terminal, below the threshold, or with --quiet', () => {
    for (const [isTTY, total, quiet] of [
      [false, 1e9, false],
      [true, 10, false],
      [true, 1e9, true],
    ] as const) {
      const err = fakeStderr(isTTY);
      const bar = createProgressBar({ label: 'x', total, unit: 'bytes', threshold: 100, quiet, stream: err.stream });
      bar.add(total);
      bar.stop();
      expect(err.text()).toBe('');
    }
  });
});
