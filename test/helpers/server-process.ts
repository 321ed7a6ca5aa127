import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  base: string;
  /** What the process printed so far ('' when output is not captured). */
  output: () => string;
}

/**
 * Starts the real server process (what `npm start` runs) on a free port and waits for /healthz.
 * Shared by the e2e tests and bench/registry. `capture: false` discards stdout (a benchmark's
 * access log must not grow in memory) and passes stderr through. `command` runs something else
 * instead: `npm start`, or the compiled build.
 */
export async function startServerProcess(
  env: Record<string, string>,
  options: { capture?: boolean; command?: [string, ...string[]] } = {},
): Promise<ServerProcess> {
  const capture = options.capture ?? true;
  const port = await freePort();
  let output = '';
  const [file, ...args] = options.command ?? [process.execPath, '--import', 'tsx', 'src/server.ts'];
  const child = spawn(file, args, {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: capture ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'ignore', 'inherit'],
  });
  if (capture) {
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
  }
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited: ${output}`);
    if (
      await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { child, base, output: () => output };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`server did not start: ${output}`);
}
