import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { expect } from 'vitest';
import { createCliRunner, type CliResult } from './cli.js';
import { createRng } from './random.js';
import { startServerProcess } from './server-process.js';

/**
 * One live server process (embedded SQLite, in-process queue) and the real `mlcycle` binary
 * pointed at it, for the CLI end-to-end tests. Call start() in beforeAll and stop() in afterAll.
 */
export function createCliServerFixture(name: string) {
  const token = `${name}-token-0123456789abcdef`;
  const dir = join(process.cwd(), '.tmp', 'test', `${name}-${randomUUID()}`);
  const file = (f: string) => join(dir, f);
  let server: ChildProcess | undefined;
  const state = { base: '', cli: (async () => ({ code: -1, stdout: '', stderr: 'not started' })) as (...args: string[]) => Promise<CliResult> };

  const fixture = {
    token,
    dir,
    file,
    get base() {
      return state.base;
    },
    /** The CLI with MLCYCLE_URL / MLCYCLE_TOKEN set for this server. */
    cli: (...args: string[]) => state.cli(...args),
    async start() {
      mkdirSync(dir, { recursive: true });
      const started = await startServerProcess({ DATA_DIR: join(dir, 'data'), ADMIN_TOKEN: token, LOG_LEVEL: 'warn', OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' });
      server = started.child;
      state.base = started.base;
      state.cli = createCliRunner({ MLCYCLE_URL: started.base, MLCYCLE_TOKEN: token });
    },
    stop() {
      if (server?.exitCode === null) server.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
    api: (path: string, init: RequestInit = {}) =>
      fetch(`${state.base}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } }),
    /** A successful run's stdout as JSON. */
    json<T>(r: CliResult): T {
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as T;
    },
    /** Rows stored for a model, straight from the database: what "counted once" means. */
    storedSamples(model: string): number {
      const db = new BetterSqlite3(join(dir, 'data', 'mlcycle.db'), { readonly: true });
      try {
        const row = db
          .prepare('select coalesce(sum(b.row_count), 0) as n from sample_batches b join models m on m.id = b.model_id where m.name = ?')
          .get(model) as { n: number };
        return row.n;
      } finally {
        db.close();
      }
    },
    /** A model with version 1 (age numeric, plan categorical), made through the CLI itself. */
    async modelWithVersion(model: string): Promise<void> {
      expect((await state.cli('models', 'create', model)).code).toBe(0);
      expect((await state.cli('versions', 'register', model, '--feature', 'age:numeric', '--feature', 'plan:categorical')).code).toBe(0);
    },
    /** Samples with two features, an id and a score column; `shift` moves age. */
    writeSamplesCsv(f: string, n: number, seed: number, shift = 0): string {
      const rng = createRng(seed);
      const lines = ['age,plan,request_id,score'];
      for (let i = 0; i < n; i++)
        lines.push(`${rng.normal(40 + shift, 10).toFixed(3)},${['basic', 'pro', 'team'][rng.int(3)]},r${seed}-${i},${rng.uniform().toFixed(4)}`);
      writeFileSync(file(f), `${lines.join('\n')}\n`);
      return file(f);
    },
  };
  return fixture;
}
