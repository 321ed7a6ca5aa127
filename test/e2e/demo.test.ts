import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** `npm run demo` end to end (with --exit): real data in, drift flagged, v2 retrained and judged. */
describe('npm run demo', () => {
  it('runs the whole loop on the embedded defaults within two minutes', () => {
    const started = Date.now();
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', '--exit'], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/drift report \d+: dataset drift YES/);
    expect(run.stdout).toMatch(/retrain job \d+: succeeded/);
    expect(run.stdout).toMatch(/v2 \(parent v1\) trained on the drifted window: accuracy 0\.\d+/);
    expect(run.stdout).toMatch(/production → v[12]/);
    expect(run.stdout).toMatch(/dashboard: http:\/\/127\.0\.0\.1:\d+\/ui\//);
    expect(Date.now() - started).toBeLessThan(120_000);
  });
});
