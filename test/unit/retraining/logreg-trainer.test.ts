import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCommandExecutor } from '../../../src/retraining/executors/command.js';

/** A separable synthetic set: label = 1 when 2·x1 − x2 + (color = red) > 0.3, with 5% label noise. */
function syntheticCsv(n: number, seed = 1): string {
  let s = seed;
  const rand = () => (s = (s * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  const lines = ['window,sample_id,x1,x2,color,prediction,label'];
  for (let i = 0; i < n; i++) {
    const x1 = rand() * 2 - 1;
    const x2 = rand() * 2 - 1;
    const color = rand() < 0.5 ? 'red' : 'blue';
    let label = 2 * x1 - x2 + (color === 'red' ? 1 : 0) > 0.3 ? 1 : 0;
    if (rand() < 0.05) label = 1 - label;
    lines.push(`1,s${i},${x1.toFixed(4)},${x2.toFixed(4)},${color},,${i % 17 === 0 ? '' : label}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('examples/trainers/logreg.py through the command executor', () => {
  it('trains on the exported CSV, evaluates on a holdout split, writes model.json and metrics.json', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mlc-logreg-'));
    const datasetDir = mkdtempSync(join(root, 'ds-'));
    const outputDir = mkdtempSync(join(root, 'out-'));
    writeFileSync(join(datasetDir, 'samples.csv'), syntheticCsv(400));
    const result = await createCommandExecutor(
      { type: 'command', command: ['python3', resolve('examples/trainers/logreg.py')], timeoutSeconds: 60, env: { LOGREG_EPOCHS: '150' } },
      { logFile: join(root, 'train.log') },
    ).run({
      jobId: 1,
      model: 'm',
      baseVersion: 1,
      datasetDir,
      datasetUris: [],
      outputDir,
      signal: new AbortController().signal,
    });
    expect(result, result.logTail).toMatchObject({ ok: true });
    const metrics = JSON.parse(readFileSync(join(outputDir, 'metrics.json'), 'utf8'));
    const model = JSON.parse(readFileSync(join(outputDir, 'model.json'), 'utf8'));
    expect(metrics.accuracy).toBeGreaterThan(0.8); // 5% noise: a real fit, not a constant guess
    expect(metrics.holdout_rows + metrics.train_rows).toBe(400 - Math.ceil(400 / 17)); // unlabelled rows skipped
    expect(model.weights).toHaveLength(1 + 2 + 2); // intercept, two numeric, two colour levels
    expect(model.encoder.map((e: { kind: string }) => e.kind)).toEqual(['numeric', 'numeric', 'categorical']);
    expect(result.logTail).toMatch(/accuracy 0\.\d+/);
  });
});
