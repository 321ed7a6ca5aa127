import Table from 'cli-table3';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { createApiClient, type ApiClient } from './api-client.js';
import { CliError } from './errors.js';

/** Flags every server command takes. */
export interface ServerFlags {
  url?: string;
  token?: string;
  json?: boolean;
}

/**
 * Adds --url, --token and --json to a server command. They sit on each command rather than on
 * the program so `mlcycle models list --json` reads naturally (options after the subcommand).
 */
export function serverCommand(parent: Command, spec: string, description: string): Command {
  return parent
    .command(spec)
    .description(description)
    .addOption(new Option('--url <url>', 'server base URL').env('MLCYCLE_URL'))
    .addOption(new Option('--token <token>', 'API key').env('MLCYCLE_TOKEN'))
    .option('--json', 'print the server’s JSON instead of a table');
}

export const clientFor = (flags: ServerFlags): ApiClient => createApiClient({ url: flags.url, token: flags.token });

export const printJson = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

type Cell = string | number | boolean | null | undefined;

/** A borderless table: easy to read, easy to grep. */
export function printTable(head: string[], rows: Cell[][]): void {
  const table = new Table({
    head,
    style: { head: [], border: [] },
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
  });
  for (const row of rows) table.push(row.map((c) => (c === null || c === undefined ? '-' : String(c))));
  process.stdout.write(`${table.toString()}\n`);
}

/** Key/value lines for one object (`models show`, `versions show`). */
export function printFields(fields: [string, Cell | Record<string, unknown> | unknown[]][]): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [k, v] of fields) {
    const text = v === null || v === undefined ? '-' : typeof v === 'object' ? formatObject(v) : String(v);
    process.stdout.write(`${k.padEnd(width)}  ${text}\n`);
  }
}

function formatObject(v: object): string {
  if (Array.isArray(v)) return v.length === 0 ? '-' : v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ');
  const entries = Object.entries(v);
  return entries.length === 0 ? '-' : entries.map(([k, x]) => `${k}=${typeof x === 'object' ? JSON.stringify(x) : String(x)}`).join(', ');
}

/** A number with few digits for tables; null when absent. */
export const fmt = (x: number | null | undefined, digits = 4): string | null =>
  x === null || x === undefined ? null : Number.isInteger(x) ? String(x) : x.toPrecision(digits);

/** Positive integers for <version>, --limit and the like. */
export function positiveInt(raw: string): number {
  const v = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(v) || v < 1) throw new InvalidArgumentError(`expected a positive integer, got "${raw}"`);
  return v;
}

/** `--tag k=v --tag k2=v2` → {k: v, k2: v2}; a pair without "=" is a usage error. */
export function keyValues(pairs: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const at = pair.indexOf('=');
    if (at < 1) throw new CliError(`${flag} expects key=value, got "${pair}"`);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

/** A positional number (<version>, <id>): outside commander's option parsing, so a CliError (exit 2). */
export function positiveArg(raw: string, what: string): number {
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)) || Number(raw) < 1) throw new CliError(`${what} must be a positive integer, got "${raw}"`);
  return Number(raw);
}
