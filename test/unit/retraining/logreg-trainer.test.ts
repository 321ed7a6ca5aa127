import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCommandExecutor } from '../../../src/retraining/executors/command.js';

/** A separable synthetic set: label = 1 when 2·x1 − x2 + (color = red) > 0.3, with 5% label noise. */
function syntheticCsv(n: number, seed = 1): { train: string; holdout: string; truth: Map<string, number> } {
  let s = seed;
  const rand = () => (s = (s * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  const lines = ['sample_id,x1,x2,color,label'];
  const held = ['sample_id,x1,x2,color'];
  const truth = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const x1 = rand() * 2 - 1;
    const x2 = rand() * 2 - 1;
    const color = rand() < 0.5 ? 'red' : 'blue';
    let label = 2 * x1 - x2 + (color === 'red' ? 1 : 0) > 0.3 ? 1 : 0;
    if (rand() < 0.05) label = 1 - label;
    if (i % 5 === 0) {
      held.push(`s${i},${x1.toFixed(4)},${x2.toFixed(4)},${color}`);
      truth.set(`s${i}`, label);
    } else lines.push(`s${i},${x1.toFixed(4)},${x2.toFixed(4)},${color},${i % 17 === 0 ? '' : label}`);
  }
  return { train: `${lines.join('\n')}\n`, holdout: `${held.join('\n')}\n`, truth };
}

describe('examples/trainers/logreg.py through the command executor', () => {
  it('trains on train.csv, predicts every holdout.csv row into holdout-predictions.csv, writes model.json and metrics.json', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mlc-logreg-'));
    const datasetDir = mkdtempSync(join(root, 'ds-'));
    const outputDir = mkdtempSync(join(root, 'out-'));
    const data = syntheticCsv(400);
    writeFileSync(join(datasetDir, 'train.csv'), data.train);
    writeFileSync(join(datasetDir, 'holdout.csv'), data.holdout);
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
    // 80 rows held out; of the other 320, the unlabelled ones (i % 17 = 0, i % 5 ≠ 0) are skipped
    const unlabelled = Array.from({ length: 400 }, (_, i) => i).filter((i) => i % 17 === 0 && i % 5 !== 0).length;
    expect(metrics.validation_rows + metrics.train_rows).toBe(320 - unlabelled);
    const predicted = readFileSync(join(outputDir, 'holdout-predictions.csv'), 'utf8').trim().split('\n');
    expect(predicted[0]).toBe('sample_id,prediction');
    expect(predicted).toHaveLength(1 + data.truth.size);
    const right = predicted.slice(1).filter((line) => {
      const [id, p] = line.split(',');
      return Number(p) === data.truth.get(id!);
    }).length;
    expect(right / data.truth.size).toBeGreaterThan(0.8); // class predictions in the labels' spelling (0/1)
    expect(model.weights).toHaveLength(1 + 2 + 2); // intercept, two numeric, two colour levels
    expect(model.encoder.map((e: { kind: string }) => e.kind)).toEqual(['numeric', 'numeric', 'categorical']);
    expect(result.logTail).toMatch(/accuracy 0\.\d+/);
  });
});
