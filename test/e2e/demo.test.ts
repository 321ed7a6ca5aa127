import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** `npm run demo` end to end (with --exit): real data in; twice: drift flagged, retrained from the drifted version, scored on the holdout, promoted. */
describe('npm run demo', () => {
  it('runs two whole cycles on the embedded defaults within two minutes', () => {
    const started = Date.now();
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', '--exit'], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/drift report \d+ on v1: dataset drift YES/);
    expect(run.stdout).toMatch(/retrain job \d+ from v1: succeeded/);
    expect(run.stdout).toMatch(
      /v2 \(parent v1\), reference: \d+ rows from its training-data; evaluation on \d+ held-out days: accuracy v2 0\.\d+ vs v1 0\.\d+, McNemar p = /,
    );
    expect(run.stdout).toMatch(/production → v2 \(promoted: better: accuracy/);
    // The second cycle: v2 is monitored against its own reference, drifts, and is retrained from.
    expect(run.stdout).toMatch(/drift report \d+ on v2: dataset drift YES/);
    expect(run.stdout).toMatch(/retrain job \d+ from v2: succeeded/);
    expect(run.stdout).toMatch(
      /v3 \(parent v2\), reference: \d+ rows from its training-data; evaluation on \d+ held-out days: accuracy v3 0\.\d+ vs v2 0\.\d+/,
    );
    expect(run.stdout).toMatch(/production → v3 \(promoted/);
    expect(run.stdout).toMatch(/dashboard: http:\/\/127\.0\.0\.1:\d+\/ui\//);
    expect(Date.now() - started).toBeLessThan(120_000);
  });
});

describe('npm run demo, stopped by a signal', () => {
  it('SIGTERM while the dashboard is up stops the server and removes the temporary data folder', async () => {
    const { spawn } = await import('node:child_process');
    const { existsSync } = await import('node:fs');
    const demo = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    demo.stdout.on('data', (d) => (out += d));
    demo.stderr.on('data', (d) => (out += d));
    const deadline = Date.now() + 120_000;
    while (!out.includes('Ctrl-C') && demo.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(out, out).toContain('Ctrl-C');
    const dataDir = /data in (\S+)/.exec(out)![1]!;
    const base = /dashboard: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out)![1]!;
    expect(existsSync(dataDir)).toBe(true);
    expect((await fetch(`${base}/healthz`)).ok).toBe(true);
    const exited = new Promise<number | null>((done) => demo.once('exit', (code) => done(code)));
    demo.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(dataDir)).toBe(false);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
