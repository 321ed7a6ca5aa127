import type { Command } from 'commander';
import { seg } from './api-client.js';
import { CliError } from './errors.js';
import { clientFor, positiveArg, positiveInt, printFields, printJson, printTable, serverCommand, type ServerFlags } from './output.js';

interface RetrainJob {
  id: number;
  model: string;
  baseVersion: number | null;
  trigger: string;
  triggerReportId: number | null;
  requestedBy: string | null;
  status: string;
  attempts: number;
  resultVersion: number | null;
  logTail: string | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

function printJob(job: RetrainJob): void {
  printFields([
    ['job', job.id],
    ['model', job.model],
    ['status', job.status],
    ['trigger', job.triggerReportId !== null ? `${job.trigger} (report ${job.triggerReportId})` : job.trigger],
    ['base version', job.baseVersion],
    ['result version', job.resultVersion],
    ['attempts', job.attempts],
    ['requested by', job.requestedBy],
    ['created', job.createdAt],
    ['started', job.startedAt],
    ['finished', job.finishedAt],
    ['error', job.error],
  ]);
  if (job.logTail) process.stdout.write(`\nlog tail:\n${job.logTail.replace(/\n?$/, '\n')}`);
}

/** Polls until the job finishes; exit 1 when it did not succeed, so `--wait` can gate a pipeline. */
async function waitFor(get: () => Promise<RetrainJob>, timeoutSeconds: number): Promise<RetrainJob> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const job = await get();
    if (FINISHED.has(job.status)) return job;
    if (Date.now() > deadline) throw new CliError(`retrain job ${job.id} is still ${job.status} after ${timeoutSeconds}s`, 1);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** `mlcycle retrain run|status`. */
export function registerRetrainCommand(program: Command): void {
  const retrain = program.command('retrain').description('retrain jobs (server)');

  serverCommand(retrain, 'run <model>', "queue a manual retrain with the monitor's executor")
    .option('--base-version <n>', 'the version to retrain from (default: the latest)', positiveInt)
    .option('--wait', 'wait for the job to finish; exit 1 unless it succeeded')
    .option('--timeout <seconds>', 'with --wait, give up after this long', positiveInt, 3600)
    .action(async (model: string, flags: ServerFlags & { baseVersion?: number; wait?: boolean; timeout: number }) => {
      const api = clientFor(flags);
      let job = await api.json<RetrainJob>('POST', `/models/${seg(model)}/retrain`, { json: flags.baseVersion ? { baseVersion: flags.baseVersion } : {} });
      if (flags.wait) job = await waitFor(() => api.get<RetrainJob>(`/retrain-jobs/${job.id}`), flags.timeout);
      if (flags.json) printJson(job);
      else if (flags.wait) printJob(job);
      else process.stdout.write(`queued retrain job ${job.id} for ${model} (status ${job.status}); follow it with: mlcycle retrain status ${job.id}\n`);
      if (flags.wait && job.status !== 'succeeded') process.exitCode = 1;
    });

  serverCommand(retrain, 'status [id]', 'one retrain job, or the latest jobs (filter with --model/--status)')
    .option('--model <name>', 'only jobs of this model')
    .option('--status <status>', 'only jobs in this status (queued, running, succeeded, failed, cancelled)')
    .option('--limit <n>', 'at most this many', positiveInt, 20)
    .action(async (id: string | undefined, flags: ServerFlags & { model?: string; status?: string; limit: number }) => {
      const api = clientFor(flags);
      if (id !== undefined) {
        const job = await api.get<RetrainJob>(`/retrain-jobs/${positiveArg(id, '<id>')}`);
        return flags.json ? printJson(job) : printJob(job);
      }
      const jobs = await api.list<RetrainJob>('/retrain-jobs', { model: flags.model, status: flags.status }, flags.limit);
      if (flags.json) return printJson(jobs);
      printTable(
        ['id', 'model', 'status', 'trigger', 'base', 'result', 'created', 'finished'],
        jobs.map((j) => [j.id, j.model, j.status, j.trigger, j.baseVersion, j.resultVersion, j.createdAt, j.finishedAt]),
      );
    });
}
