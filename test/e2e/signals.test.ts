import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startServerProcess } from '../helpers/server-process.js';
import { alive } from '../helpers/processes.js';

/**
 * Issue 8 item 2: `docker stop` and a terminal's Ctrl-C must drain the server however it was
 * started. `npm start` used to exit 143 at once and leave the server running, undrained.
 */
const TOKEN = 'sig-admin-token-0123456789abcdef';
const children: ChildProcess[] = [];
const builds: string[] = [];
/** Processes below the spawned one: killed after a failed test so that no orphan keeps serving. */
const strays: number[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const pid of strays.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
});
afterAll(() => {
  for (const dir of builds) rmSync(dir, { recursive: true, force: true });
});

const scratch = () => {
  const dir = join(process.cwd(), '.tmp', 'test', `sig-${randomUUID()}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

/** Every process below `pid`, from the process table. */
function descendants(pid: number): number[] {
  const table = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of table) if (ppid === parent) found.push(child), walk(child);
  };
  walk(pid);
  return found;
}

/** Starts `command`, begins a slow upload, sends SIGTERM mid-upload: the upload completes, exit 0, no process left. */
async function drainsOnSigterm(command: [string, ...string[]]): Promise<void> {
  const server = await startServerProcess({ DATA_DIR: scratch(), ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'info' }, { command });
  const { child, base, output } = server;
  children.push(child);
  const auth = { authorization: `Bearer ${TOKEN}` };
  await fetch(`${base}/api/v1/models`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'm' }) });
  await fetch(`${base}/api/v1/models/m/versions`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ features: [{ name: 'a', type: 'numeric' }] }),
  });

  let push!: (chunk: Uint8Array | null) => void;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      push = (c) => (c ? controller.enqueue(c) : controller.close());
    },
  });
  const upload = fetch(`${base}/api/v1/models/m/versions/1/artifacts/slow.bin`, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'application/octet-stream' },
    body,
    duplex: 'half',
  } as RequestInit);
  push(new Uint8Array(1000).fill(1));
  await new Promise((r) => setTimeout(r, 300));

  const below = descendants(child.pid!);
  strays.push(...below);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  push(new Uint8Array(1000).fill(2));
  push(null);
  const res = await upload;
  expect(res.status, output()).toBe(201);
  expect(((await res.json()) as { size: number }).size).toBe(2000);
  expect(await exit, output()).toBe(0);
  expect(output()).toContain('shutting down: draining in-flight requests');
  for (let i = 0; i < 50 && below.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
  expect(below.filter(alive), `left behind: ${below.join(', ')}`).toEqual([]);
  await expect(fetch(`${base}/healthz`)).rejects.toThrow();
}

describe('SIGTERM drains the server', () => {
  it('sent to the server process itself (node --import tsx src/server.ts)', async () => {
    await drainsOnSigterm([process.execPath, '--import', 'tsx', 'src/server.ts']);
  });

  it('sent to `npm start`', async () => {
    await drainsOnSigterm(['npm', 'start']);
  });

  it('sent to the compiled build (what the Dockerfile runs: node dist/src/server.js)', async () => {
    const out = join(process.cwd(), '.tmp', `build-${randomUUID()}`);
    builds.push(out);
    execFileSync(process.execPath, [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', out], { stdio: 'pipe' });
    await drainsOnSigterm([process.execPath, join(out, 'src', 'server.js')]);
  }, 180_000);
});
