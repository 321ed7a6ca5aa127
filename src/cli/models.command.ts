import type { Command } from 'commander';
import { seg } from './api-client.js';
import { clientFor, keyValues, positiveInt, printFields, printJson, printTable, serverCommand, type ServerFlags } from './output.js';

interface ModelView {
  name: string;
  description: string | null;
  tags: Record<string, string>;
  latestVersion: number | null;
  aliases: Record<string, number>;
  createdAt: string;
  updatedAt: string;
}

const aliasText = (aliases: Record<string, number>) =>
  Object.entries(aliases)
    .map(([a, v]) => `${a}→v${v}`)
    .join(', ') || '-';

/** `mlcycle models list|show|create`. */
export function registerModelsCommand(program: Command): void {
  const models = program.command('models').description('registered models (server)');

  serverCommand(models, 'list', 'list models')
    .option('-q, --query <text>', 'name or description contains')
    .option('--tag <k:v...>', 'only models with this tag (repeatable)')
    .option('--limit <n>', 'at most this many', positiveInt, 1000)
    .action(async (flags: ServerFlags & { query?: string; tag?: string[]; limit: number }) => {
      const api = clientFor(flags);
      // tag is repeatable on the server (?tag=a:1&tag=b:2); one tag per request keeps the
      // generic client simple, so several tags are intersected here.
      const [first, ...rest] = flags.tag ?? [];
      let items = await api.list<ModelView>('/models', { q: flags.query, tag: first }, flags.limit);
      for (const tag of rest) {
        const [k, ...v] = tag.split(':');
        items = items.filter((m) => m.tags[k!] === v.join(':'));
      }
      if (flags.json) return printJson(items);
      printTable(
        ['name', 'latest', 'aliases', 'description', 'updated'],
        items.map((m) => [m.name, m.latestVersion, aliasText(m.aliases), m.description, m.updatedAt]),
      );
    });

  serverCommand(models, 'show <name>', 'one model with its aliases').action(async (name: string, flags: ServerFlags) => {
    const model = await clientFor(flags).get<ModelView>(`/models/${seg(name)}`);
    if (flags.json) return printJson(model);
    printFields([
      ['name', model.name],
      ['description', model.description],
      ['latest version', model.latestVersion],
      ['aliases', aliasText(model.aliases)],
      ['tags', model.tags],
      ['created', model.createdAt],
      ['updated', model.updatedAt],
    ]);
  });

  serverCommand(models, 'create <name>', 'register a new model')
    .option('-d, --description <text>', 'what the model does')
    .option('--tag <k=v...>', 'a tag (repeatable)')
    .action(async (name: string, flags: ServerFlags & { description?: string; tag?: string[] }) => {
      const tags = keyValues(flags.tag, '--tag');
      const model = await clientFor(flags).json<ModelView>('POST', '/models', { json: { name, description: flags.description, tags } });
      if (flags.json) return printJson(model);
      process.stdout.write(`created model ${model.name}\n`);
    });
}
