import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { freePort } from './server-process.js';

const HOW_TO_GET_ONE = 'install redis-server (Debian: apt-get install redis-server) or point REDIS_URL at a running Redis';

function redisServerBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error(`redis-server not found on PATH: ${HOW_TO_GET_ONE}`);
  return found;
}

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** Start again on the same port. */
  start(): Promise<void>;
  /** SIGSTOP: connections stay open, nothing answers (a frozen host). */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
}

/** A redis-server of this test's own on a free port (no persistence), for fault tests. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const binary = redisServerBinary();
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const spawned = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    child = spawned;
    // A test that fails half-way must not leave a redis-server behind.
    process.once('exit', () => spawned.kill('SIGKILL'));
    for (let i = 0; i < 100; i++) {
      if (await answers(url)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server on port ${port} did not start`);
  };
  const stop = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    c.kill('SIGCONT'); // a frozen server cannot act on SIGTERM
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  };
  await start();
  return { url, port, stop, start, freeze: () => void child?.kill('SIGSTOP'), thaw: () => void child?.kill('SIGCONT') };
}

let shared: Promise<{ url: string; stop: () => Promise<void> }> | undefined;

/**
 * The Redis the integration tests use: REDIS_URL, else 127.0.0.1:6379, else a private
 * redis-server; fails saying how to get one.
 */
export function testRedisUrl(): Promise<string> {
  shared ??= (async () => {
    const candidate = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    if (await answers(candidate)) return { url: candidate, stop: async () => {} };
    if (process.env.REDIS_URL) throw new Error(`REDIS_URL=${process.env.REDIS_URL} does not answer PING`);
    const own = await startPrivateRedis();
    return { url: own.url, stop: own.stop };
  })();
  return shared.then((s) => s.url);
}

/** A key prefix no other test uses, so tests share one Redis without seeing each other's jobs. */
export function uniquePrefix(label: string): string {
  return `mlcycle-test-${label}-${randomUUID().slice(0, 8)}`;
}

/** Deletes every key under `prefix` (SCAN, not KEYS, to be gentle on a shared Redis). */
export async function deletePrefix(url: string, prefix: string): Promise<void> {
  const client = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
