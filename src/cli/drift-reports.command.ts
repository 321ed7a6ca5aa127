import type { Command } from 'commander';
import { seg } from './api-client.js';
import { CliError } from './errors.js';
import { clientFor, fmt, positiveArg, positiveInt, printFields, printJson, printTable, serverCommand, type ServerFlags } from './output.js';

interface ReportView {
  id: number;
  model: string;
  version: number;
  window: { kind: string; key: string; seqFrom: number | null; seqTo: number | null; from: string | null; to: string | null };
  status: string;
  sampleCount: number | null;
  datasetDrift: boolean | null;
  driftShare: number | null;
  driftedFeatures?: string[];
  features?: Array<Record<string, unknown>>;
  error: string | null;
  createdAt: string;
  completedAt: string | null;
}

interface TimelinePoint {
  reportId: number;
  version: number;
  from: string | null;
  to: string | null;
  datasetDrift: boolean;
  driftShare: number;
  features: { name: string; drifted: boolean; status: string; psi: number | null; statistic: number | null; pValue: number | null }[];
}

const windowText = (w: ReportView['window']) => (w.seqFrom !== null ? `samples ${w.seqFrom}–${w.seqTo}` : `${w.from ?? '…'} → ${w.to ?? '…'}`);
const verdict = (drift: boolean | null) => (drift === null ? '-' : drift ? 'YES' : 'no');

/** Accepts ISO-8601 timestamps only: the server compares them as UTC instants. */
function timestamp(raw: string | undefined, flag: string): string | undefined {
  if (raw === undefined) return undefined;
  const t = new Date(raw);
  if (Number.isNaN(t.getTime())) throw new CliError(`${flag} expects an ISO-8601 timestamp, got "${raw}"`);
  return t.toISOString();
}

/** `mlcycle drift reports|show|timeline`: the server's drift reports, beside the offline `drift -r -c`. */
export function registerDriftReportCommands(drift: Command): void {
  serverCommand(drift, 'reports <model>', "a model's drift reports, newest first (server)")
    .option('--version <n>', 'only this version', positiveInt)
    .option('--from <time>', 'windows ending at or after this ISO-8601 time')
    .option('--to <time>', 'windows ending before this ISO-8601 time')
    .option('--drifted', 'only reports that found dataset drift')
    .option('--limit <n>', 'at most this many', positiveInt, 50)
    .action(async (model: string, flags: ServerFlags & { version?: number; from?: string; to?: string; drifted?: boolean; limit: number }) => {
      const items = await clientFor(flags).list<ReportView>(
        `/models/${seg(model)}/drift-reports`,
        {
          version: flags.version,
          from: timestamp(flags.from, '--from'),
          to: timestamp(flags.to, '--to'),
          drifted: flags.drifted ? true : undefined,
        },
        flags.limit,
      );
      if (flags.json) return printJson(items);
      printTable(
        ['id', 'version', 'window', 'status', 'samples', 'drift', 'share', 'drifted features', 'created'],
        items.map((r) => [
          r.id,
          r.version,
          windowText(r.window),
          r.status,
          r.sampleCount,
          verdict(r.datasetDrift),
          fmt(r.driftShare, 3),
          r.driftedFeatures?.join(', ') || '-',
          r.createdAt,
        ]),
      );
    });

  serverCommand(drift, 'show <id>', 'one drift report with its per-feature results (server)').action(async (id: string, flags: ServerFlags) => {
    const report = await clientFor(flags).get<ReportView>(`/drift-reports/${positiveArg(id, '<id>')}`);
    if (flags.json) return printJson(report);
    printFields([
      ['report', report.id],
      ['model', `${report.model} v${report.version}`],
      ['window', windowText(report.window)],
      ['status', report.status],
      ['samples', report.sampleCount],
      ['dataset drift', verdict(report.datasetDrift)],
      ['drift share', fmt(report.driftShare, 3)],
      ['error', report.error],
    ]);
    const features = report.features ?? [];
    if (features.length === 0) return;
    process.stdout.write('\n');
    printTable(
      ['feature', 'type', 'drift', 'PSI', 'p', 'missing ref → cur'],
      features.map((f) => {
        const test = (f.ks ?? f.chi2) as { pValue?: number } | undefined;
        const missing = f.missing as { referenceRate?: number; currentRate?: number } | undefined;
        return [
          String(f.name),
          String(f.type),
          f.drifted ? 'YES' : 'no',
          fmt(f.psi as number | null),
          fmt(test?.pValue ?? null, 3),
          missing ? `${fmt(missing.referenceRate ?? null, 3)} → ${fmt(missing.currentRate ?? null, 3)}` : null,
        ];
      }),
    );
  });

  serverCommand(drift, 'timeline <model>', 'per-window PSI, p-value and verdict per feature, oldest first (server)')
    .option('--feature <name>', 'only this feature')
    .option('--version <n>', 'only this version', positiveInt)
    .option('--limit <n>', 'at most this many windows', positiveInt, 200)
    .action(async (model: string, flags: ServerFlags & { feature?: string; version?: number; limit: number }) => {
      const res = await clientFor(flags).get<{ model: string; points: TimelinePoint[] }>(`/models/${seg(model)}/drift/timeline`, {
        feature: flags.feature,
        version: flags.version,
        limit: Math.min(flags.limit, 1000),
      });
      if (flags.json) return printJson(res);
      printTable(
        ['report', 'version', 'window end', 'drift', 'feature', 'PSI', 'statistic', 'p', 'feature drift'],
        res.points.flatMap((p) =>
          p.features.map((f) => [
            p.reportId,
            p.version,
            p.to,
            verdict(p.datasetDrift),
            f.name,
            fmt(f.psi),
            fmt(f.statistic),
            fmt(f.pValue, 3),
            f.drifted ? 'YES' : f.status === 'ok' ? 'no' : f.status,
          ]),
        ),
      );
    });
}
