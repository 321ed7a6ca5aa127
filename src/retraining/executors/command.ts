import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type CommandExecutor, DEFAULT_EXECUTOR_TIMEOUT_S } from '../retrain.schemas.js';
import { killGroup, runnerId } from './process-group.js';
import { createTail, type Executor, type ExecutorContext, type ExecutorOutcome } from './types.js';

/**
 * Only these variables of the server's environment reach the trainer: the server's own holds
 * DATABASE_URL, ADMIN_TOKEN and S3 credentials, which a training script has no business reading.
 */
const PASSED_THROUGH = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ', 'PYTHONPATH', 'VIRTUAL_ENV'];

/** Regular files anywhere under `dir`, as paths relative to it ('/'-separated). */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) =>
      join(e.parentPath, e.name)
        .slice(dir.length + 1)
        .split('\\')
        .join('/'),
    )
    .sort();
}

/**
 * Runs the trainer as an argv array (no shell) in its own process group. A timeout or a cancel
 * kills the whole group with SIGKILL; so does the trainer's own exit, so nothing it forked
 * outlives it. stdout and stderr go, interleaved, to `logFile` (kept as an artifact) and a tail.
 */
export function createCommandExecutor(config: CommandExecutor, options: { logFile: string }): Executor {
  return {
    async run(ctx: ExecutorContext): Promise<ExecutorOutcome> {
      const timeoutSeconds = config.timeoutSeconds ?? DEFAULT_EXECUTOR_TIMEOUT_S;
      const env: Record<string, string> = {};
      for (const name of PASSED_THROUGH) if (process.env[name] !== undefined) env[name] = process.env[name]!;
      Object.assign(env, config.env ?? {}, {
        MLCYCLE_JOB_ID: String(ctx.jobId),
        MLCYCLE_MODEL: ctx.model,
        MLCYCLE_BASE_VERSION: ctx.baseVersion === null ? '' : String(ctx.baseVersion),
        MLCYCLE_DATASET_DIR: ctx.datasetDir,
        MLCYCLE_OUTPUT_DIR: ctx.outputDir,
      });
      const tail = createTail();
      const log = createWriteStream(options.logFile);
      const [file, ...args] = config.command as [string, ...string[]];
      const child = spawn(file, args, { cwd: config.cwd ?? ctx.datasetDir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let why: { reason: string; cancelled: boolean } | undefined;
      const stop = (reason: string, cancelled: boolean) => {
        why ??= { reason, cancelled };
        if (child.pid) killGroup(child.pid);
      };
      const timer = setTimeout(() => stop(`timed out after ${timeoutSeconds}s`, false), timeoutSeconds * 1000);
      const onAbort = () => stop('cancelled', true);
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      if (ctx.signal.aborted) onAbort();
      for (const stream of [child.stdout, child.stderr]) {
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          tail.push(chunk);
          log.write(chunk);
        });
      }
      const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
        child.once('error', (error) => resolve({ code: null, signal: null, error }));
        child.once('spawn', () => {
          if (child.pid) void Promise.resolve(ctx.onStarted?.(runnerId(child.pid))).catch(() => undefined);
        });
        child.once('exit', (code, signal) => resolve({ code, signal }));
      });
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      // The trainer is gone; anything it left running in its group goes too.
      if (child.pid && !exit.error) killGroup(child.pid);
      await new Promise<void>((resolve) => log.end(resolve));
      const logTail = tail.value();
      const base = { logTail, logFile: options.logFile };
      if (exit.error) return { ok: false, reason: `could not start ${file}: ${exit.error.message}`, cancelled: false, ...base };
      if (why) return { ok: false, ...why, ...base };
      if (exit.code !== 0) return { ok: false, reason: exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`, cancelled: false, ...base };
      if ((await listFiles(ctx.outputDir)).length === 0)
        return { ok: false, reason: 'the trainer wrote nothing to MLCYCLE_OUTPUT_DIR', cancelled: false, ...base };
      return { ok: true, ...base };
    },
  };
}
