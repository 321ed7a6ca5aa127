/**
 * A progress line on stderr for reads that take more than a second ("reading ref.csv: 412,000
 * rows, 1,900,000 rows/s"). Only on a terminal: in CI logs or when piped, a line rewritten with \r
 * is noise. Off with --quiet.
 */
export interface ProgressLine {
  update(rows: number): void;
  done(): void;
}

export interface ProgressOptions {
  enabled: boolean;
  stream?: { write(text: string): unknown };
  /** Milliseconds; injectable so tests need not wait a second. */
  now?: () => number;
}

/** Silent for the first second, then redrawn at most 5 times a second. */
export function createProgressLine(label: string, options: ProgressOptions): ProgressLine {
  const now = options.now ?? (() => performance.now());
  const stream = options.stream ?? process.stderr;
  const started = now();
  let lastDraw = 0;
  let drawn = false;
  return {
    update(rows) {
      if (!options.enabled) return;
      const t = now();
      if (t - started < 1000 || t - lastDraw < 200) return;
      lastDraw = t;
      drawn = true;
      const rate = rows / ((t - started) / 1000);
      stream.write(`\r\x1b[K${label}: ${rows.toLocaleString('en-US')} rows, ${Math.round(rate).toLocaleString('en-US')} rows/s`);
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}
