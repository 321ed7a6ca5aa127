/** What every executor is given: ids and directories, never database handles. */
export interface ExecutorContext {
  jobId: number;
  /** The run's attempt: an external pipeline echoes it in its callback, so a stale run's completion is refused. */
  attempt?: number;
  model: string;
  baseVersion: number | null;
  /** A local copy of the exported training data (command executor). */
  datasetDir: string;
  /** Where the export lives in the artifact store (webhook executor hands these out). */
  datasetUris: string[];
  /** Empty directory the trainer writes its outputs to. */
  outputDir: string;
  /** Aborted when the job is cancelled: the executor stops its work at once. */
  signal: AbortSignal;
  /** Called once the trainer runs, with an id that lets another process kill it (command: `host/pgid`). */
  onStarted?: (runner: string) => Promise<void> | void;
}

export type ExecutorOutcome =
  | { ok: true; logTail: string; logFile?: string }
  | { ok: false; reason: string; cancelled: boolean; logTail: string; logFile?: string };

export interface Executor {
  run(context: ExecutorContext): Promise<ExecutorOutcome>;
}

/** Keeps the last `max` characters of a stream of text: the job's log tail. */
export function createTail(max = 4096) {
  let text = '';
  return {
    push(chunk: string): void {
      text = (text + chunk).slice(-max);
    },
    value: (): string => text,
  };
}
