import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { TabularParseError } from '../tabular/errors.js';
import { readTable } from '../tabular/read-table.js';
import type { ColumnKind, TabularFormat, TabularTable } from '../tabular/types.js';
import { ApiError, EXIT, seg, type ApiClient } from './api-client.js';
import { arrowBatches } from './arrow-batches.js';
import { CliError } from './errors.js';
import { clientFor, positiveArg, positiveInt, printJson, serverCommand, type ServerFlags } from './output.js';
import { createProgressBar } from './progress-bar.js';

const ARROW_STREAM = 'application/vnd.apache.arrow.stream';
/** Columns the server reads as sample ids, model outputs and ground truth, not as features. */
const RESERVED = { id: '__id', prediction: '__prediction', label: '__label', timestamp: '__timestamp' } as const;

interface Feature {
  name: string;
  type: ColumnKind;
}

interface FileFlags extends ServerFlags {
  format?: TabularFormat;
  batchRows: number;
  maxBatchBytes: number;
  quiet?: boolean;
}

interface SamplesFlags extends FileFlags {
  version?: number;
  alias?: string;
  idColumn?: string;
  predictionColumn?: string;
  labelColumn?: string;
  timestampColumn?: string;
  retries: number;
}

/** sha256 of the file, streamed: the stable part of each batch's idempotency key. */
async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Reads the file typed by the version's features (declared types win over inference); the
 * reserved columns are renamed from the user's names; a column the version does not declare is
 * an error here, before any batch is sent, rather than a rejected first batch.
 */
async function readForVersion(file: string, features: Feature[], flags: FileFlags, renames: Record<string, string | undefined> = {}): Promise<TabularTable> {
  const types = new Map<string, ColumnKind>(features.map((f) => [f.name, f.type]));
  const idColumn = renames[RESERVED.id] ?? RESERVED.id;
  types.set(idColumn, 'categorical'); // "007" stays "007"
  let table: TabularTable;
  try {
    table = await readTable(file, { format: flags.format, types, sourceName: file });
  } catch (error) {
    if (error instanceof TabularParseError) throw new CliError(`cannot read ${file}: ${error.message}`);
    throw error;
  }
  for (const [reserved, given] of Object.entries(renames)) {
    if (given === undefined || given === reserved) continue;
    const column = table.columns.get(given);
    if (!column) throw new CliError(`${file} has no column "${given}" (named by the ${reserved} option)`);
    table.columns.delete(given);
    table.columns.set(reserved, column);
  }
  const reserved = new Set<string>(Object.values(RESERVED));
  const unknown = [...table.columns.keys()].filter((c) => !types.has(c) && !reserved.has(c));
  if (unknown.length)
    throw new CliError(
      `${file} has columns the version does not declare: ${unknown.map((c) => `"${c}"`).join(', ')} (declared: ${features.map((f) => f.name).join(', ')})`,
    );
  if (table.rowCount === 0) throw new CliError(`${file} has no data rows`);
  return table;
}

/** Checked before the server is asked anything: a typo in a path is a usage error (exit 2). */
async function ensureReadable(file: string): Promise<void> {
  await access(file).catch(() => {
    throw new CliError(`cannot read file ${file}: it does not exist or is not readable`);
  });
}

/** 5xx, 429 and a dropped connection are worth another try; with the same key a retry cannot double-count. */
async function withRetries<T>(retries: number, attempt: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      const status = error instanceof ApiError ? error.problem.status : undefined;
      const transient = (error instanceof CliError && error.exitCode === EXIT.unreachable) || status === 429 || (status !== undefined && status >= 500);
      if (!transient || i >= retries) throw error;
      await new Promise((r) => setTimeout(r, Math.min(8000, 250 * 2 ** i)));
    }
  }
}

const fileOptions = (cmd: Command): Command =>
  cmd
    .addOption(new Option('--format <format>', 'input format (default: from the extension)').choices(['csv', 'arrow', 'parquet']))
    .option('--batch-rows <n>', 'rows per request (the server takes at most 10 000 samples per batch)', positiveInt)
    .option('--max-batch-bytes <n>', 'a batch whose body would be larger is split (the server limits body size)', positiveInt, 8 * 1024 * 1024)
    .option('--quiet', 'no progress bar');

async function versionOf(api: ApiClient, model: string, target: { version?: number; alias?: string }): Promise<{ version: number; features: Feature[] }> {
  const path =
    target.version !== undefined ? `/models/${seg(model)}/versions/${target.version}` : `/models/${seg(model)}/aliases/${seg(target.alias ?? 'production')}`;
  return api.get(path);
}

/** `mlcycle reference push` and `mlcycle samples push`: files read with src/tabular, sent as Arrow batches. */
export function registerDataCommands(program: Command): void {
  const reference = program.command('reference').description("a version's reference (training) data (server)");
  fileOptions(serverCommand(reference, 'push <model> <version> <file>', 'append a CSV/Arrow/Parquet file to the reference data, in chunks'))
    .option('--replace', 'clear the stored reference data first (a re-run otherwise appends the rows again)')
    .action(async (model: string, versionRaw: string, file: string, flags: FileFlags & { replace?: boolean }) => {
      const target = positiveArg(versionRaw, '<version>');
      await ensureReadable(file);
      const api = clientFor(flags);
      const { version, features } = await versionOf(api, model, { version: target });
      const table = await readForVersion(file, features, flags);
      const path = `/models/${seg(model)}/versions/${version}/reference`;
      if (flags.replace) {
        const res = await api.send('DELETE', path);
        if (!res.ok && res.status !== 404) await api.request('DELETE', path);
      }
      const bar = createProgressBar({ label: `reference ${file}`, total: table.rowCount, unit: 'rows', threshold: 50_000, quiet: flags.quiet });
      let summary: { rows: number; chunks: number; sha256: string } | undefined;
      try {
        for (const batch of arrowBatches(table, flags.batchRows ?? 100_000, flags.maxBatchBytes)) {
          summary = await api.json('POST', path, { body: batch.body, contentType: ARROW_STREAM });
          bar.add(batch.end - batch.start);
        }
      } finally {
        bar.stop();
      }
      if (flags.json) return printJson(summary);
      process.stdout.write(
        `reference of ${model} v${version}: sent ${table.rowCount} rows; the profile now holds ${summary!.rows} rows in ${summary!.chunks} chunk(s)\n`,
      );
    });

  const samples = program.command('samples').description('serving samples for drift monitoring (server)');
  fileOptions(serverCommand(samples, 'push <model> <file>', 'post a CSV/Arrow/Parquet file of serving samples in batches; safe to re-run'))
    .option('--version <n>', 'the version that served them', positiveInt)
    .option('--alias <name>', 'the alias that served them (default: production)')
    .option('--id-column <name>', `column of sample ids, for delayed labels (default: ${RESERVED.id})`)
    .option('--prediction-column <name>', `column of model outputs (default: ${RESERVED.prediction})`)
    .option('--label-column <name>', `column of ground truth (default: ${RESERVED.label})`)
    .option('--timestamp-column <name>', `column of each row's time, ISO-8601 or epoch ms (default: ${RESERVED.timestamp})`)
    .option(
      '--retries <n>',
      'retries of a batch after a network error or 5xx',
      (raw) => {
        if (!/^\d{1,2}$/.test(raw)) throw new InvalidArgumentError('expected an integer from 0 to 99');
        return Number(raw);
      },
      3,
    )
    .action(async (model: string, file: string, flags: SamplesFlags) => {
      if (flags.version !== undefined && flags.alias !== undefined) throw new CliError('pass --version or --alias, not both');
      await ensureReadable(file);
      const api = clientFor(flags);
      // The alias is resolved once and every batch names that version: an alias moved halfway
      // through a push must not split one file across two versions.
      const { version, features } = await versionOf(api, model, flags);
      const table = await readForVersion(file, features, flags, {
        [RESERVED.id]: flags.idColumn,
        [RESERVED.prediction]: flags.predictionColumn,
        [RESERVED.label]: flags.labelColumn,
        [RESERVED.timestamp]: flags.timestampColumn,
      });
      const maxRows = flags.batchRows ?? 10_000;
      // Same file, same target, same batch size → same keys: a re-run replays instead of adding.
      const scope = createHash('sha256')
        .update(`${await fileSha256(file)}\n${model}\n${version}\n${maxRows}\n${flags.maxBatchBytes}`)
        .digest('hex')
        .slice(0, 32);
      const bar = createProgressBar({ label: `samples ${file}`, total: table.rowCount, unit: 'rows', threshold: 50_000, quiet: flags.quiet });
      let batches = 0;
      let accepted = 0;
      let windows = 0;
      try {
        for (const batch of arrowBatches(table, maxRows, flags.maxBatchBytes)) {
          const key = `mlcycle-cli-${scope}-${batch.start}-${batch.end}`;
          const res = await withRetries(flags.retries, () =>
            api.json<{ accepted: number; windowsCompleted: number }>('POST', `/models/${seg(model)}/samples`, {
              query: { version },
              body: batch.body,
              contentType: ARROW_STREAM,
              headers: { 'idempotency-key': key },
            }),
          );
          batches++;
          accepted += res.accepted;
          windows += res.windowsCompleted;
          bar.add(batch.end - batch.start);
        }
      } finally {
        bar.stop();
      }
      const result = { model, version, rows: table.rowCount, batches, accepted, windowsCompleted: windows };
      if (flags.json) return printJson(result);
      process.stdout.write(`samples for ${model} v${version}: ${accepted} rows in ${batches} batch(es) accepted; ${windows} drift window(s) completed\n`);
    });
}
