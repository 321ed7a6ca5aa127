import Table from 'cli-table3';
import { ALPHA_SHARES, levelOf, type DriftReport, type FeatureDriftResult } from '../drift/index.js';

/** Significant digits that keep the table narrow yet tell 0.049 from 0.051. */
const num = (v: number | null | undefined, digits = 3): string => {
  if (v === null || v === undefined) return '–';
  if (v === 0) return '0';
  const abs = Math.abs(v);
  return abs < 1e-3 || abs >= 1e5 ? v.toExponential(digits - 1) : v.toPrecision(digits).replace(/\.?0+$/, '');
};
const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;

function testColumns(f: FeatureDriftResult): [string, string, string] {
  if (f.ks) return [`KS D=${num(f.ks.statistic)}`, num(f.ks.pValue), num(f.adjustedPValue)];
  if (f.chi2) return [`χ²=${num(f.chi2.statistic)} (dof ${f.chi2.dof})`, num(f.chi2.pValue), num(f.adjustedPValue)];
  return ['–', '–', '–'];
}

/** Human-readable report: one row per feature, then the dataset verdict. */
export function formatDriftTable(
  report: DriftReport,
  source: { reference: string; current: string; rows: [number, number] },
  notes: readonly string[] = [],
): string {
  const table = new Table({
    head: ['feature', 'type', 'drift', 'PSI', 'test', 'p', 'p adj.', 'effect', 'missing ref → cur', 'why'],
    style: { head: [], border: [] },
    // No rule between rows: a 50-feature report should stay readable in a terminal.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const f of report.features) {
    const [test, p, adj] = testColumns(f);
    const effect =
      f.type === 'numeric'
        ? f.wasserstein
          ? `W1/σ=${num(f.wasserstein.normalized)}`
          : '–'
        : f.jensenShannon !== undefined && f.status === 'ok'
          ? `JS=${num(f.jensenShannon)}`
          : '–';
    table.push([
      f.name,
      f.type,
      f.status === 'insufficient_data' ? (f.drifted ? 'YES (missing)' : 'insufficient data') : f.drifted ? 'YES' : 'no',
      num(f.psi),
      test,
      p,
      adj,
      effect,
      `${pct(f.missing.referenceRate)} → ${pct(f.missing.currentRate)}`,
      f.reasons.join(', '),
    ]);
  }
  const o = report.options;
  const insufficient = report.features.filter((f) => f.status === 'insufficient_data');
  const lines = [
    `reference ${source.reference} (${source.rows[0]} rows) vs current ${source.current} (${source.rows[1]} rows)`,
    table.toString(),
    `Dataset drift: ${report.datasetDrift ? 'YES' : 'no'} — ${report.drifted} of ${report.evaluated} features drifted ` +
      `(share ${num(report.driftShare)}, threshold ${o.driftShare}${o.critical.length ? `, critical: ${o.critical.join(', ')}` : ''})`,
    `Rules (α = ${o.alpha}, split 0.8 / 0.1 / 0.1): ${o.correction}-adjusted p < ${num(levelOf(o.alpha, ALPHA_SHARES.test))} and an effect ≥ its floor ` +
      `(W1/σ ≥ ${o.floors.wasserstein}, JS ≥ ${o.floors.jensenShannon}, or PSI ≥ ${o.psiThreshold}); ` +
      `PSI ≥ ${o.psiThreshold} alone (${o.bins} quantile bins, ε = ${o.epsilon}) only where n_eff is large enough for its noise to stay below it; ` +
      `missing rate change ≥ ${o.missingMinDifference} with adjusted p < ${num(levelOf(o.alpha, ALPHA_SHARES.missing))}.`,
  ];
  const overridden = Object.keys(o.features).filter((n) => report.features.some((f) => f.name === n));
  if (overridden.length > 0) lines.push(`Per-feature settings: ${overridden.join(', ')} (see --json "rule" for each).`);
  const pooled = report.features.filter((f) => (f.chi2?.pooled.length ?? 0) > 0);
  if (pooled.length > 0)
    lines.push(`χ² pooled rare categories (expected count < 5): ${pooled.map((f) => `${f.name} [${f.chi2!.pooled.join(', ')}]`).join('; ')}.`);
  if (report.ignored.length > 0)
    lines.push(`Not compared: ${report.ignored.map((i) => `${i.name} (${i.reason === 'ignore' ? 'ignored' : `role ${i.reason}`})`).join(', ')}.`);
  for (const note of notes) lines.push(`Note: ${note}`);
  if (insufficient.length > 0) {
    lines.push(
      `Insufficient data (fewer than ${o.minSamples} non-missing values on a side, --min-samples): ` +
        `${insufficient.map((f) => `${f.name} (${f.referenceSize} → ${f.currentSize})`).join(', ')}; not tested, not counted as drift.`,
    );
  }
  return `${lines.join('\n')}\n`;
}
