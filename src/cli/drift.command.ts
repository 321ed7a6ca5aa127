import { InvalidArgumentError, Option, type Command } from 'commander';
import { computeDrift, detectRoles, mergeRoles, type Correction, type DriftMethod, type DriftOptions } from '../drift/index.js';
import type { NonNumericPolicy, TabularFormat } from '../tabular/types.js';
import { readPair } from './table-profile.js';
import { CliError } from './errors.js';
import { configToOptions, loadDriftConfig, parseRoles } from './drift-config.js';
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
  config?: string;
  ignore: string[];
  featureRole: string[];
  wassersteinFloor?: number;
  jsFloor?: number;
}

/** Flags whose value, when given on the command line, overrides the --config file. */
const OVERRIDABLE = ['bins', 'alpha', 'correction', 'minSamples', 'methods', 'psiThreshold', 'driftShare', 'epsilon'] as const;

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
      .option('--wasserstein-floor <x>', 'normalised W₁ a significant KS must reach to count (default 0.05)', numberIn(-1e-300, Infinity, 'a number ≥ 0'))
      .option('--js-floor <x>', 'Jensen–Shannon distance a significant χ² must reach to count (default 0.05)', numberIn(-1e-300, 1, 'a number in [0, 1]'))
      .option('--config <file>', 'drift settings as JSON or YAML: the flags above plus per-feature "features", "ignore", "roles"')
      .option('--ignore <columns>', 'comma-separated columns not to compare', list, [])
      .option(
        '--feature-role <name=role,...>',
        'column roles (feature, id, timestamp), overriding detection; ids and timestamps are never compared',
        (raw: string, prev: string[]) => [...prev, ...list(raw)],
        [],
      )
      .option('--json', 'print the report as JSON')
      .option('--fail-on-drift', 'exit with code 1 when the dataset drifts (for CI pipelines)')
      .enablePositionalOptions()
      .action(async (flags: DriftFlags, command: Command) => {
        if (!flags.reference || !flags.current)
          throw new CliError(
            `required option '${flags.reference ? '-c, --current' : '-r, --reference'} <file>' not specified (or use a subcommand: drift reports|show|timeline)`,
          );
        const both = flags.categorical.filter((c) => flags.numeric.includes(c));
        if (both.length > 0) throw new CliError(`column "${both[0]}" is given to both --categorical and --numeric`);
        const config = flags.config ? await loadDriftConfig(flags.config) : {};
        const { reference, current } = await readPair(flags.reference, flags.current, {
          format: flags.format,
          categorical: new Set(flags.categorical),
          numeric: new Set(flags.numeric),
          naValues: flags.naValues,
          nonNumeric: flags.nonNumeric,
          progress: !flags.quiet && process.stderr.isTTY === true,
        });
        const known = (what: string, name: string) => {
          if (!reference.features.has(name)) throw new CliError(`${what} names column "${name}", which is not in ${flags.reference}`);
        };
        for (const name of flags.critical) known('--critical', name);
        for (const name of flags.ignore) known('--ignore', name);
        for (const name of Object.keys(config.features ?? {})) known(`--config features.${name}`, name);
        for (const name of [...(config.critical ?? []), ...(config.ignore ?? [])]) known('--config', name);
        const explicitRoles = { ...(config.roles ?? {}), ...parseRoles(flags.featureRole) };
        for (const name of Object.keys(explicitRoles)) known('--feature-role', name);
        const fromCli = (key: string) => command.getOptionValueSource(key) === 'cli';
        const options: DriftOptions = { ...configToOptions(config) };
        const o = options as Record<string, unknown>;
        for (const key of OVERRIDABLE) if (fromCli(key) || o[key] === undefined) o[key] = flags[key];
        if (flags.critical.length > 0) options.critical = [...(options.critical ?? []), ...flags.critical];
        if (flags.ignore.length > 0) options.ignore = [...(options.ignore ?? []), ...flags.ignore];
        if (flags.wassersteinFloor !== undefined || flags.jsFloor !== undefined)
          options.floors = {
            ...options.floors,
            ...(flags.wassersteinFloor !== undefined ? { wasserstein: flags.wassersteinFloor } : {}),
            ...(flags.jsFloor !== undefined ? { jensenShannon: flags.jsFloor } : {}),
          };
        // Detection only for columns nobody gave a role to; an explicit `feature` undoes it.
        const detected = detectRoles(reference, options.minSamples).filter((d) => !(d.name in explicitRoles));
        options.roles = mergeRoles(detected, explicitRoles);
        const notes = detected.map(
          (d) =>
            `"${d.name}" looks like ${d.role === 'id' ? 'an identifier' : 'a timestamp'} (${d.why}): not compared; --feature-role ${d.name}=feature to compare it`,
        );
        const report = computeDrift(reference, current, options);
        if (flags.json) process.stdout.write(`${JSON.stringify({ ...report, notes }, null, 2)}\n`);
        else
          process.stdout.write(formatDriftTable(report, { reference: flags.reference, current: flags.current, rows: [reference.rows, current.rows] }, notes));
        if (flags.failOnDrift && report.datasetDrift) process.exitCode = 1;
      })
  );
}
