import { Float64, Int32, Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/http/errors.js';
import type { FeatureSpec } from '../../../src/monitoring/batch.js';
import { ingestArrow, ingestJson } from '../../../src/monitoring/ingest.js';
import { ingestCsv } from '../../../src/monitoring/ingest-csv.js';
import { checkOutcomes, labelMismatch } from '../../../src/monitoring/outcome-checks.js';

const features: FeatureSpec[] = [{ name: 'x', type: 'numeric' }];
const opts = { features };

function paths(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('VALIDATION_FAILED');
    return ((error as AppError).errors ?? []).map((e) => e.path);
  }
  throw new Error('expected a 400');
}
async function csvPaths(text: string, task: Parameters<typeof checkOutcomes>[1]): Promise<string[]> {
  const batch = await ingestCsv(Buffer.from(text), opts);
  return paths(() => checkOutcomes(batch, task));
}

describe('scores in sample bodies', () => {
  it('JSON: binary scores per row, multiclass arrays with classes; NaN marks a row without', () => {
    const binary = ingestJson({ columns: { x: [1, 2] }, predictions: [1, 0], scores: [0.8, null] }, opts);
    expect(binary.scores!.classes).toBeNull();
    expect(Array.from(binary.scores!.values)).toEqual([0.8, Number.NaN]);
    const multi = ingestJson({ columns: { x: [1, 2] }, predictions: ['b', 'a'], scores: [[0.2, 0.8], null], classes: ['a', 'b'] }, opts);
    expect(multi.scores!.classes).toEqual(['a', 'b']);
    expect(Array.from(multi.scores!.values)).toEqual([0.2, 0.8, Number.NaN, Number.NaN]);
  });

  it('JSON: names what is wrong with scores and classes', () => {
    expect(paths(() => ingestJson({ columns: { x: [1] }, scores: [[0.5, 0.5]] }, opts))).toEqual(['scores[0]']);
    expect(paths(() => ingestJson({ columns: { x: [1] }, scores: [[0.5]], classes: ['a', 'b'] }, opts))).toEqual(['scores[0]']);
    expect(paths(() => ingestJson({ columns: { x: [1] }, scores: ['0.5'] }, opts))).toEqual(['scores[0]']);
    expect(paths(() => ingestJson({ columns: { x: [1] }, classes: ['a'] }, opts))).toEqual(['classes']);
    expect(paths(() => ingestJson({ columns: { x: [1, 2] }, scores: [0.1] }, opts))).toEqual(['scores']);
  });

  it('Arrow: __score is binary, __score_<class> columns multiclass (integer suffixes are numeric classes)', () => {
    const table = new Table({
      x: vectorFromArray([1, 2], new Float64()),
      __prediction: vectorFromArray([0, 2], new Int32()),
      __score_0: vectorFromArray([0.7, 0.1], new Float64()),
      __score_2: vectorFromArray([0.3, 0.9], new Float64()),
    });
    const batch = ingestArrow(tableToIPC(table, 'stream'), opts);
    expect(batch.scores!.classes).toEqual([0, 2]);
    expect(Array.from(batch.scores!.values)).toEqual([0.7, 0.3, 0.1, 0.9]);
    const named = ingestArrow(
      tableToIPC(
        new Table({ x: vectorFromArray([1], new Float64()), __prediction: vectorFromArray(['0'], new Utf8()), __score_0: vectorFromArray([1], new Float64()) }),
        'stream',
      ),
      opts,
    );
    expect(named.scores!.classes).toEqual(['0']); // string predictions: string classes
    const text = tableToIPC(new Table({ x: vectorFromArray([1], new Float64()), __score: vectorFromArray(['high'], new Utf8()) }), 'stream');
    expect(paths(() => ingestArrow(text, opts))).toEqual(['columns.__score']);
  });

  it('CSV: the same reserved columns; a mismatch names the column', async () => {
    const batch = await ingestCsv(Buffer.from('x,__prediction,__score\n1,yes,0.9\n2,no,0.2\n'), opts);
    expect(batch.scores!.classes).toBeNull();
    expect(Array.from(batch.scores!.values)).toEqual([0.9, 0.2]);
    expect(await csvPaths('x,__prediction,__label\n1,0,a\n', { type: 'classification' })).toEqual(['__label']);
    expect(await csvPaths('x,__prediction,__score\n1,1,1.5\n', { type: 'classification' })).toEqual(['__score[0]']);
    expect(await csvPaths('x,__prediction\n1,high\n', { type: 'regression' })).toEqual(['__prediction[0]']);
  });
});

describe('checkOutcomes against the declared task', () => {
  const batch = (body: Record<string, unknown>) => ingestJson({ columns: { x: [1, 2, 3] }, ...body }, opts);

  it('accepts what fits, and anything without a task', () => {
    expect(() => checkOutcomes(batch({ predictions: [0, 1, 2], labels: [0, 2, 2] }), { type: 'classification' })).not.toThrow();
    expect(() => checkOutcomes(batch({ predictions: [1, 50, 2.5], labels: [1, 50.0, 3] }), { type: 'regression' })).not.toThrow();
    expect(() =>
      checkOutcomes(batch({ predictions: ['a', 'b', 'a'], scores: [[0.5, 0.5], [0.1, 0.9], null], classes: ['a', 'b'] }), { type: 'classification' }),
    ).not.toThrow();
    expect(() => checkOutcomes(batch({ predictions: [0.3, 0.7, 1], labels: ['a', 'b', 'c'] }), undefined)).not.toThrow();
  });

  it('refuses what does not, naming the field', () => {
    const cls = { type: 'classification' } as const;
    expect(paths(() => checkOutcomes(batch({ predictions: [0, 1, 2], labels: ['0', '1', '2'] }), cls))).toEqual(['labels']);
    expect(paths(() => checkOutcomes(batch({ labels: [1, 0.5, 0] }), cls))).toEqual(['labels[1]']);
    expect(paths(() => checkOutcomes(batch({ predictions: [1, 0, 1] }), { type: 'classification', positive: 'yes' }))).toEqual(['predictions']);
    expect(paths(() => checkOutcomes(batch({ predictions: [0, 1, 1], scores: [[0.5, 0.4], [0.1, 0.9], null], classes: [0, 1] }), cls))).toEqual(['scores[0]']);
    expect(paths(() => checkOutcomes(batch({ predictions: [0, 1, 1], scores: [[0.5, 0.5], null, null], classes: [0, 0] }), cls))).toEqual(['classes']);
    expect(paths(() => checkOutcomes(batch({ predictions: [0, 1, 1], scores: [[0.5, 0.5], null, null], classes: ['0', '1'] }), cls))).toEqual(['classes']);
    expect(paths(() => checkOutcomes(batch({ predictions: [1, 2, 'three'] }), { type: 'regression' }))).toEqual(['predictions[2]']);
    expect(paths(() => checkOutcomes(batch({ predictions: [1, 2, 3], scores: [0.1, 0.2, 0.3] }), { type: 'regression' }))).toEqual(['scores']);
  });

  it('late labels: the task and the sample prediction type decide', () => {
    expect(labelMismatch('1', { type: 'classification' }, 'number')).toMatch(/prediction is a number/);
    expect(labelMismatch(1, { type: 'classification' }, 'number')).toBeUndefined();
    expect(labelMismatch('a', { type: 'regression' }, null)).toMatch(/regression/);
    expect(labelMismatch(0.5, { type: 'classification' }, null)).toMatch(/not a class label/);
    expect(labelMismatch(1, { type: 'classification', positive: 'yes' }, null)).toMatch(/positive class "yes"/);
    expect(labelMismatch('a', undefined, 'number')).toBeUndefined();
  });
});
