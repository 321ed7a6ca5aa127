import { randomUUID } from 'node:crypto';
import { invalidField } from '../http/errors.js';
import type { MetricRow } from './tracking.repository.js';

/** Value checks and views shared by the MLflow tracking services (runs, logged models). */
export const hex32 = () => randomUUID().replaceAll('-', '');
export const runUri = (experimentId: number, runId: string) => `mlflow-artifacts:/${experimentId}/${runId}/artifacts`;
export const modelUri = (experimentId: number, modelId: string) => `mlflow-artifacts:/${experimentId}/models/${modelId}/artifacts`;

export function str(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw invalidField(field, 'is required');
  return value;
}

export function experimentIdOf(value: unknown, field = 'experiment_id'): number {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^[0-9]{1,10}$/.test(text) || Number(text) > 2_147_483_647)
    throw invalidField(field, 'must be an experiment id ("0", "1", …)');
  return Number(text);
}

export function int(value: unknown, field: string, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : /^-?\d{1,16}$/.test(String(value)) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw invalidField(field, 'must be an integer');
  return n;
}

export function metricValue(value: unknown, field: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) throw invalidField(field, 'must be a finite number');
  return n;
}

/** MLflow's "latest" value of each metric: highest step, then newest timestamp, then largest value. */
export function latestMetrics(rows: readonly MetricRow[]): MetricRow[] {
  const best = new Map<string, MetricRow>();
  for (const r of rows) {
    const b = best.get(r.key);
    if (!b || r.step > b.step || (r.step === b.step && (r.timestamp > b.timestamp || (r.timestamp === b.timestamp && r.value > b.value)))) best.set(r.key, r);
  }
  return [...best.values()];
}

export const metricJson = (m: MetricRow) => ({
  key: m.key,
  value: m.value,
  timestamp: m.timestamp,
  step: m.step,
  ...(m.modelId ? { model_id: m.modelId } : {}),
});

export const experimentIdsOf = (raw: unknown): number[] => (Array.isArray(raw) ? raw.map((x, i) => experimentIdOf(x, `experiment_ids[${i}]`)) : []);
