import cliProgress from 'cli-progress';
import { Transform } from 'node:stream';

/**
 * A progress bar on stderr for transfers and batch uploads, drawn only when stderr is a terminal
 * and the job is big enough to wait for: in CI logs a redrawn bar is noise, and stdout stays
 * clean for --json either way.
 */
export interface ProgressBar {
  add(n: number): void;
  stop(): void;
}

export interface BarOptions {
  label: string;
  total: number;
  unit: 'bytes' | 'rows';
  /** Smaller jobs get no bar. */
  threshold: number;
  quiet?: boolean;
  stream?: NodeJS.WriteStream;
}

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

export function createProgressBar(options: BarOptions): ProgressBar {
  const stream = options.stream ?? process.stderr;
  if (options.quiet || stream.isTTY !== true || options.total < options.threshold) return { add() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${options.label} [{bar}] {percentage}% | {done} / {all} | ETA {eta_formatted}`,
      clearOnComplete: true,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const show = (n: number) => (options.unit === 'bytes' ? mib(n) : n.toLocaleString('en-US'));
  let value = 0;
  bar.start(options.total, 0, { done: show(0), all: show(options.total) });
  return {
    add(n) {
      value += n;
      bar.update(value, { done: show(value) });
    },
    stop() {
      bar.stop();
    },
  };
}

/** A pass-through stream that shows each chunk flowing by (to hash and count streamed transfers). */
export function tapStream(onChunk: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      onChunk(chunk);
      done(null, chunk);
    },
  });
}
