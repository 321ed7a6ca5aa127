import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './server-process.js';

/**
 * s3rver in a child process, so a test can freeze it (SIGSTOP: the port accepts connections but
 * nothing answers), thaw it (SIGCONT), kill it (connection refused) and start it again on the
 * same port and data folder. The in-process helper (s3rver.ts) cannot be frozen.
 */
export interface S3rverProcess {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  freeze(): void;
  thaw(): void;
  kill(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

const SCRIPT = `
const S3rver = require('s3rver');
const [port, directory, bucket] = process.argv.slice(1);
new S3rver({ address: '127.0.0.1', port: Number(port), silent: true, directory, configureBuckets: [{ name: bucket }], vhostBuckets: false })
  .run().then(() => process.stdout.write('ready\\n'));
`;

export async function startS3rverProcess(): Promise<S3rverProcess> {
  const port = await freePort();
  const bucket = 'mlcycle-faults';
  const directory = join(process.cwd(), '.tmp', 's3rver', randomUUID());
  mkdirSync(directory, { recursive: true });
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    const c = spawn(process.execPath, ['-e', SCRIPT, String(port), directory, bucket], { stdio: ['ignore', 'pipe', 'inherit'] });
    child = c;
    await new Promise<void>((resolve, reject) => {
      c.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      c.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
    });
  }
  async function kill(): Promise<void> {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }
  await start();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    freeze: () => void child?.kill('SIGSTOP'),
    thaw: () => void child?.kill('SIGCONT'),
    kill,
    restart: start,
    async close() {
      await kill();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
