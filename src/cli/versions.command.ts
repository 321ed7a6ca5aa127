import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { seg } from './api-client.js';
import { CliError } from './errors.js';
import { clientFor, keyValues, positiveArg, positiveInt, printFields, printJson, printTable, serverCommand, type ServerFlags } from './output.js';

interface Feature {
  name: string;
  type: 'numeric' | 'categorical';
  role?: 'feature' | 'id' | 'timestamp';
}

interface VersionView {
  model: string;
  version: number;
  description: string | null;
  features: Feature[];
  artifactUri: string | null;
  runId: string | null;
  gitCommit: string | null;
  parentVersion: number | null;
  task?: { type: string; positive?: number | string } | null;
  tags: Record<string, string>;
  params: Record<string, string>;
  metrics: Record<string, number>;
  aliases: string[];
  createdBy: string | null;
  createdAt: string;
}

interface RegisterFlags extends ServerFlags {
  file?: string;
  feature?: string[];
  metric?: string[];
  param?: string[];
  tag?: string[];
  description?: string;
  runId?: string;
  gitCommit?: string;
  artifactUri?: string;
  parent?: number;
  task?: string;
  idempotencyKey?: string;
}

/** "regression", "classification", or "classification:<positive>" (an integer positive is a number). */
function parseTask(spec: string): { type: 'classification'; positive?: number | string } | { type: 'regression' } {
  const [type, ...rest] = spec.split(':');
  const positive = rest.join(':');
  if (type === 'regression' && rest.length === 0) return { type };
  if (type === 'classification' && rest.length === 0) return { type };
  if (type === 'classification' && positive.length > 0) return { type, positive: /^-?\d{1,15}$/.test(positive) ? Number(positive) : positive };
  throw new CliError(`--task expects regression, classification or classification:<positive class>, got "${spec}"`);
}

/**
 * "age:numeric", "plan:categorical" (or "plan:cat"); the type defaults to numeric. A third part
 * gives the role: "user_id:categorical:id", "ts:numeric:timestamp" (never drift features).
 */
function parseFeature(spec: string): Feature {
  const role = /^(.+:(?:numeric|num|categorical|cat)):(feature|id|timestamp)$/i.exec(spec);
  if (role) return { ...parseFeature(role[1]!), role: role[2]!.toLowerCase() as Feature['role'] };
  const at = spec.lastIndexOf(':');
  const name = at < 0 ? spec : spec.slice(0, at);
  const raw = at < 0 ? 'numeric' : spec.slice(at + 1).toLowerCase();
  const type = raw === 'numeric' || raw === 'num' ? 'numeric' : raw === 'categorical' || raw === 'cat' ? 'categorical' : undefined;
  if (!type || name.length === 0) throw new CliError(`--feature expects name:numeric or name:categorical, got "${spec}"`);
  return { name, type };
}

/** The JSON file is either the whole request body or just the features array. */
async function readBodyFile(path: string): Promise<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read ${path} as JSON: ${(error as Error).message}`);
  }
  if (Array.isArray(parsed)) return { features: parsed };
  if (parsed && typeof parsed === 'object') return parsed as Record<string, unknown>;
  throw new CliError(`${path} must hold a JSON object (the version) or an array (its features)`);
}

function numbers(pairs: Record<string, string>, flag: string): Record<string, number> {
  return Object.fromEntries(
    Object.entries(pairs).map(([k, v]) => {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) throw new CliError(`${flag} ${k} must be a finite number, got "${v}"`);
      return [k, n];
    }),
  );
}

/** Flags add to (and win over) what the file says, so one file can serve several runs. */
async function registerBody(flags: RegisterFlags): Promise<Record<string, unknown>> {
  const body = flags.file ? await readBodyFile(flags.file) : {};
  const merge = (key: string, extra: Record<string, unknown>) => {
    if (Object.keys(extra).length) body[key] = { ...((body[key] as object | undefined) ?? {}), ...extra };
  };
  if (flags.feature?.length) body.features = [...((body.features as Feature[] | undefined) ?? []), ...flags.feature.map(parseFeature)];
  merge('metrics', numbers(keyValues(flags.metric, '--metric'), '--metric'));
  merge('params', keyValues(flags.param, '--param'));
  merge('tags', keyValues(flags.tag, '--tag'));
  for (const [key, value] of [
    ['description', flags.description],
    ['runId', flags.runId],
    ['gitCommit', flags.gitCommit],
    ['artifactUri', flags.artifactUri],
    ['parentVersion', flags.parent],
  ] as const) {
    if (value !== undefined) body[key] = value;
  }
  if (flags.task !== undefined) body.task = parseTask(flags.task);
  if (!Array.isArray(body.features) || body.features.length === 0)
    throw new CliError('a version needs its features: pass --feature name:type (repeatable) or --file features.json');
  return body;
}

function printVersion(v: VersionView): void {
  printFields([
    ['model', v.model],
    ['version', v.version],
    ['aliases', v.aliases],
    ['description', v.description],
    ['features', v.features.map((f) => `${f.name}:${f.type}`)],
    ['metrics', v.metrics],
    ['params', v.params],
    ['tags', v.tags],
    ['parent', v.parentVersion],
    ['task', v.task ? `${v.task.type}${v.task.positive !== undefined ? ` (positive ${JSON.stringify(v.task.positive)})` : ''}` : null],
    ['run id', v.runId],
    ['git commit', v.gitCommit],
    ['artifact uri', v.artifactUri],
    ['created', `${v.createdAt}${v.createdBy ? ` by ${v.createdBy}` : ''}`],
  ]);
}

/** `mlcycle versions list|show|register` and `mlcycle alias set`. */
export function registerVersionsCommand(program: Command): void {
  const versions = program.command('versions').description('model versions (server)');

  serverCommand(versions, 'list <model>', 'versions of a model, newest first')
    .option('--limit <n>', 'at most this many', positiveInt, 100)
    .action(async (model: string, flags: ServerFlags & { limit: number }) => {
      const items = await clientFor(flags).list<VersionView>(`/models/${seg(model)}/versions`, {}, flags.limit);
      if (flags.json) return printJson(items);
      printTable(
        ['version', 'aliases', 'features', 'metrics', 'parent', 'created'],
        items.map((v) => [
          v.version,
          v.aliases.join(', ') || '-',
          v.features.length,
          Object.entries(v.metrics)
            .map(([k, x]) => `${k}=${x}`)
            .join(' ') || '-',
          v.parentVersion,
          v.createdAt,
        ]),
      );
    });

  serverCommand(versions, 'show <model> <version>', 'one version: features, metrics, params, lineage (a version number, or an alias)').action(
    async (model: string, version: string, flags: ServerFlags) => {
      const api = clientFor(flags);
      // "production" or "latest" resolve through the alias route, which returns the version.
      const path = /^\d+$/.test(version) ? `/models/${seg(model)}/versions/${version}` : `/models/${seg(model)}/aliases/${seg(version)}`;
      const v = await api.get<VersionView>(path);
      if (flags.json) return printJson(v);
      printVersion(v);
    },
  );

  serverCommand(versions, 'register <model>', 'register the next version (numbered by the server)')
    .option('-f, --file <json>', 'JSON file: the version body, or just its features array')
    .option('--feature <name:type...>', 'a feature, numeric or categorical (repeatable)')
    .option('--metric <k=v...>', 'a metric (repeatable)')
    .option('--param <k=v...>', 'a training parameter (repeatable)')
    .option('--tag <k=v...>', 'a tag (repeatable)')
    .option('-d, --description <text>', 'description')
    .option('--run-id <id>', 'training run id')
    .option('--git-commit <sha>', 'commit the model was trained from')
    .option('--artifact-uri <uri>', 'where the artifacts live, if not uploaded here')
    .option('--parent <version>', 'the version this one was derived from', positiveInt)
    .option('--task <task>', 'what it predicts: regression, classification or classification:<positive class>')
    .option('--idempotency-key <key>', 'makes a retried registration return the first version instead of a new one')
    .action(async (model: string, flags: RegisterFlags) => {
      const body = await registerBody(flags);
      const res = await clientFor(flags).request('POST', `/models/${seg(model)}/versions`, {
        json: body,
        headers: flags.idempotencyKey ? { 'idempotency-key': flags.idempotencyKey } : {},
      });
      const v = (await res.json()) as VersionView;
      if (flags.json) return printJson(v);
      // 200 instead of 201: the server replayed an earlier registration with this key.
      process.stdout.write(
        res.status === 200
          ? `version ${v.version} of ${v.model} was already registered with this idempotency key\n`
          : `registered ${v.model} version ${v.version}\n`,
      );
    });

  const alias = program.command('alias').description('version aliases such as production (server)');
  serverCommand(alias, 'set <model> <alias> <version>', 'point an alias at a version (moves it if set)').action(
    async (model: string, name: string, version: string, flags: ServerFlags) => {
      const v = positiveArg(version, '<version>');
      const res = await clientFor(flags).json<{ alias: string; version: number; previousVersion: number | null }>(
        'PUT',
        `/models/${seg(model)}/aliases/${seg(name)}`,
        { json: { version: v } },
      );
      if (flags.json) return printJson(res);
      process.stdout.write(
        `${model}@${res.alias} → v${res.version}${res.previousVersion !== null && res.previousVersion !== res.version ? ` (was v${res.previousVersion})` : ''}\n`,
      );
    },
  );
}
