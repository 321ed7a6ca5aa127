import { describe, expect, it } from 'vitest';
import { createProgressLine } from '../../../src/cli/progress.js';

const fake = () => {
  let t = 0;
  const written: string[] = [];
  return { written, at: (ms: number) => (t = ms), now: () => t, stream: { write: (s: string) => written.push(s) } };
};

describe('progress line', () => {
  it('stays silent for the first second, then shows rows and rows/s, and clears itself', () => {
    const f = fake();
    const line = createProgressLine('reading ref.csv', { enabled: true, now: f.now, stream: f.stream });
    f.at(900);
    line.update(900_000);
    expect(f.written).toEqual([]);
    f.at(2000);
    line.update(3_000_000);
    expect(f.written).toEqual(['\r\x1b[Kreading ref.csv: 3,000,000 rows, 1,500,000 rows/s']);
    f.at(2100);
    line.update(3_100_000); // throttled: less than 200 ms since the last draw
    expect(f.written).toHaveLength(1);
    line.done();
    expect(f.written.at(-1)).toBe('\r\x1b[K');
  });

  it('writes nothing when disabled (--quiet, or stderr not a terminal)', () => {
    const f = fake();
    const line = createProgressLine('x', { enabled: false, now: f.now, stream: f.stream });
    f.at(5000);
    line.update(10);
    line.done();
    expect(f.written).toEqual([]);
  });
});
