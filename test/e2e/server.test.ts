import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const TOKEN = 'e2e-admin-token-0123456789abcdef';
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServerProcess({ LOG_LEVEL: 'info', ...env });
  children.push(server.child);
  return server;
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
const scratch = () => {
  const dir = join(process.cwd(), '.tmp', 'test', `e2e-${randomUUID()}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

describe('server process', () => {
  it('refuses to start on bad configuration, naming the variable', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: { ...process.env, PORT: 'nope', DATA_DIR: scratch() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    expect(await exited(child)).toBe(78);
    expect(err).toContain('PORT');
  });

  it('refuses a DATA_DIR that is a file with one line naming the variable, exit 78, no stack trace', async () => {
    const file = join(scratch(), 'not-a-dir');
    writeFileSync(file, 'x');
    for (const dataDir of [file, join(file, 'below')]) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
        env: { ...process.env, DATA_DIR: dataDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr!.on('data', (d) => (err += d));
      expect(await exited(child), err).toBe(78);
      expect(err.trim().split('\n'), err).toHaveLength(1);
      expect(err).toContain(`DATA_DIR: "${dataDir}"`);
      expect(err).not.toMatch(/\n\s+at /);
    }
  });

  it('two server processes on one SQLite file number 40 concurrent versions 1…40', async () => {
    const dataDir = scratch();
    const a = await startServer({ DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN });
    const b = await startServer({ DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN });
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    await fetch(`${a.base}/api/v1/models`, { method: 'POST', headers, body: JSON.stringify({ name: 'shared' }) });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        fetch(`${(i % 2 ? a : b).base}/api/v1/models/shared/versions`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ features: [{ name: 'x', type: 'numeric' }] }),
        }).then((r) => r.json() as Promise<{ version: number }>),
      ),
    );
    expect(results.map((r) => r.version).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });
});
