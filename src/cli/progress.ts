/**
 * A progress line on stderr for reads that take more than a second ("reading ref.csv: 412 000
 * rows, 2.1 M rows/s"). Only on a terminal: in CI logs or when piped, a line rewritten with \r
 * is noise. Off with --quiet.
 */
export interface ProgressLine {
  update(rows: number): void;
  done(): void;
}

export function createProgressLine(label: string, enabled: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressLine {
  const started = performance.now();
  let lastDraw = 0;
  let drawn = false;
  return {
    update(rows) {
      if (!enabled) return;
      const now = performance.now();
      if (now - started < 1000 || now - lastDraw < 200) return;
      lastDraw = now;
      drawn = true;
      const rate = rows / ((now - started) / 1000);
      stream.write(`\r\x1b[K${label}: ${rows.toLocaleString('en-US')} rows, ${Math.round(rate).toLocaleString('en-US')} rows/s`);
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}
