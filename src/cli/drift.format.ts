import Table from 'cli-table3';
import type { DriftReport, FeatureDriftResult } from '../drift/index.js';

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
export function formatDriftTable(report: DriftReport, source: { reference: string; current: string; rows: [number, number] }): string {
  const extra: string[] = [];
  if (report.options.methods.includes('jensenShannon')) extra.push('JS');
  if (report.options.methods.includes('wasserstein')) extra.push('W1/σ');
  const table = new Table({
    head: ['feature', 'type', 'drift', 'PSI', 'test', 'p', 'p adj.', ...extra, 'missing ref → cur', 'why'],
    style: { head: [], border: [] },
    // No rule between rows: a 50-feature report should stay readable in a terminal.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const f of report.features) {
    const [test, p, adj] = testColumns(f);
    const extras: string[] = [];
    if (extra.includes('JS')) extras.push(num(f.jensenShannon));
    if (extra.includes('W1/σ')) extras.push(num(f.wasserstein?.normalized));
    table.push([
      f.name,
      f.type,
      f.status === 'insufficient_data' ? (f.drifted ? 'YES (missing)' : 'insufficient data') : f.drifted ? 'YES' : 'no',
      num(f.psi),
      test,
      p,
      adj,
      ...extras,
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
    `Rules: PSI ≥ ${o.psiThreshold} (${o.bins} quantile bins, empty bins ε = ${o.epsilon}) or ${o.correction}-adjusted p < ${o.alpha}; ` +
      `missing rate change ≥ ${o.missingMinDifference} with p < ${o.alpha}.`,
  ];
  if (insufficient.length > 0) {
    lines.push(
      `Insufficient data (fewer than ${o.minSamples} non-missing values on a side, --min-samples): ` +
        `${insufficient.map((f) => `${f.name} (${f.referenceSize} → ${f.currentSize})`).join(', ')}; not tested, not counted as drift.`,
    );
  }
  return `${lines.join('\n')}\n`;
}
