import { InvalidArgumentError, Option, type Command } from 'commander';
import { computeDrift, type Correction, type DriftMethod, type DriftOptions } from '../drift/index.js';
import type { NonNumericPolicy, TabularFormat } from '../tabular/types.js';
import { readPair } from './table-profile.js';
import { CliError } from './errors.js';
import { formatDriftTable } from './drift.format.js';

interface DriftFlags {
  reference: string;
  current: string;
  bins: number;
  alpha: number;
  correction: Correction;
  categorical: string[];
  numeric: string[];
  format?: TabularFormat;
  naValues?: string[];
  nonNumeric: NonNumericPolicy;
  minSamples: number;
  quiet?: boolean;
  critical: string[];
  methods: DriftMethod[];
  psiThreshold: number;
  driftShare: number;
  epsilon: number;
  json?: boolean;
  failOnDrift?: boolean;
}

const METHOD_NAMES: Record<string, DriftMethod> = {
  psi: 'psi',
  ks: 'ks',
  chi2: 'chi2',
  js: 'jensenShannon',
  jensenshannon: 'jensenShannon',
  wasserstein: 'wasserstein',
};

const integerIn =
  (min: number, max: number) =>
  (raw: string): number => {
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min || v > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return v;
  };

const numberIn =
  (min: number, max: number, what: string) =>
  (raw: string): number => {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v) || v <= min || v > max) throw new InvalidArgumentError(`expected ${what}`);
    return v;
  };

const list = (raw: string): string[] =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

const methods = (raw: string): DriftMethod[] =>
  list(raw).map((m) => {
    const method = METHOD_NAMES[m.toLowerCase()];
    if (!method) throw new InvalidArgumentError(`unknown method "${m}" (choose from psi, ks, chi2, js, wasserstein)`);
    return method;
  });

/** `mlcycle drift`: compares two data files column by column and prints the drift report. */
export function registerDriftCommand(program: Command): Command {
  return (
    program
      .command('drift')
      .description('compare current data with reference data, column by column (PSI, KS, χ², missing rates); CSV, .csv.gz, Arrow, Parquet')
      // Checked in the action rather than by commander: a required option here would also be
      // demanded of the server subcommands (`mlcycle drift reports …`).
      .option('-r, --reference <file>', 'reference (training) data: CSV with a header row (.csv, .csv.gz), Arrow IPC (.arrow) or Parquet (.parquet)')
      .option('-c, --current <file>', 'current data, with the same columns')
      .addOption(new Option('--format <format>', 'input format of both files (default: from each extension)').choices(['csv', 'arrow', 'parquet']))
      .option('--bins <n>', 'quantile bins for numeric PSI', integerIn(2, 1000), 10)
      .option('--alpha <p>', 'significance level after correction', numberIn(0, 0.9999999, 'a number in (0, 1)'), 0.05)
      .addOption(new Option('--correction <method>', 'multiple-testing correction').choices(['bonferroni', 'bh', 'none']).default('bonferroni'))
      .option('--categorical <columns>', 'comma-separated columns to treat as categorical even if numeric', list, [])
      .option('--numeric <columns>', 'comma-separated columns to treat as numeric, whatever a sample suggests', list, [])
      .option('--na-values <tokens>', 'comma-separated cell texts meaning missing, replacing the default list (an empty cell is always missing)', list)
      .addOption(
        new Option('--non-numeric <policy>', 'a text cell in a numeric column: error (exit 2) or missing (with a warning)')
          .choices(['error', 'missing'])
          .default('error'),
      )
      .option('--min-samples <n>', 'non-missing values a feature needs on each side to be tested', integerIn(1, Number.MAX_SAFE_INTEGER), 30)
      .option('--quiet', 'no progress line on stderr')
      .option('--critical <columns>', 'comma-separated columns whose drift alone means dataset drift', list, [])
      .option('--methods <list>', 'statistics: psi,ks,chi2,js,wasserstein', methods, ['psi', 'ks', 'chi2'])
      .option('--psi-threshold <x>', 'PSI at or above this flags a feature', numberIn(0, Infinity, 'a positive number'), 0.2)
      .option('--drift-share <x>', 'dataset drifts when this share of features drift', numberIn(0, 1, 'a number in (0, 1]'), 0.5)
      .option('--epsilon <x>', 'replaces empty-bin proportions in PSI', numberIn(0, 0.9999999, 'a number in (0, 1)'), 1e-4)
      .option('--json', 'print the report as JSON')
      .option('--fail-on-drift', 'exit with code 1 when the dataset drifts (for CI pipelines)')
      .enablePositionalOptions()
      .action(async (flags: DriftFlags) => {
        if (!flags.reference || !flags.current)
          throw new CliError(
            `required option '${flags.reference ? '-c, --current' : '-r, --reference'} <file>' not specified (or use a subcommand: drift reports|show|timeline)`,
          );
        const both = flags.categorical.filter((c) => flags.numeric.includes(c));
        if (both.length > 0) throw new CliError(`column "${both[0]}" is given to both --categorical and --numeric`);
        const { reference, current } = await readPair(flags.reference, flags.current, {
          format: flags.format,
          categorical: new Set(flags.categorical),
          numeric: new Set(flags.numeric),
          naValues: flags.naValues,
          nonNumeric: flags.nonNumeric,
          progress: !flags.quiet && process.stderr.isTTY === true,
        });
        for (const name of flags.critical) {
          if (!reference.features.has(name)) throw new CliError(`--critical names column "${name}", which is not in ${flags.reference}`);
        }
        const options: DriftOptions = {
          bins: flags.bins,
          alpha: flags.alpha,
          correction: flags.correction,
          critical: flags.critical,
          methods: flags.methods,
          psiThreshold: flags.psiThreshold,
          driftShare: flags.driftShare,
          epsilon: flags.epsilon,
          minSamples: flags.minSamples,
        };
        const report = computeDrift(reference, current, options);
        if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else process.stdout.write(formatDriftTable(report, { reference: flags.reference, current: flags.current, rows: [reference.rows, current.rows] }));
        if (flags.failOnDrift && report.datasetDrift) process.exitCode = 1;
      })
  );
}
