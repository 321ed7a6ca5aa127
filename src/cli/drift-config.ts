import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import type { DriftOptions, FeatureRole } from '../drift/index.js';
import { DriftConfigFile } from '../monitoring/drift-settings.schemas.js';
import { CliError } from './errors.js';

const validate = new Ajv({ allErrors: true, strict: false }).compile<DriftConfigFile>(DriftConfigFile);

/**
 * Reads `--config drift.json|yaml` (the same drift settings a monitor takes, plus `ignore` and
 * `roles`) and checks it against its TypeBox schema; an error names the path, e.g.
 * `features.age.alpha: must be < 1`.
 */
export async function loadDriftConfig(path: string): Promise<DriftConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read --config ${path}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new CliError(`--config ${path} is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(error as Error).message}`);
  }
  if (!validate(data ?? {})) {
    const e = validate.errors![0]!;
    const extra = e.keyword === 'additionalProperties' ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : '';
    const where = e.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(top level)';
    throw new CliError(`--config ${path}: ${where}: ${e.message}${extra}`);
  }
  return (data ?? {}) as DriftConfigFile;
}

/** `name=role` pairs of --feature-role. */
export function parseRoles(pairs: readonly string[]): Record<string, FeatureRole> {
  const roles: Record<string, FeatureRole> = {};
  for (const pair of pairs) {
    const m = /^(.+)=(feature|id|timestamp)$/.exec(pair);
    if (!m) throw new CliError(`--feature-role expects name=feature|id|timestamp, got "${pair}"`);
    roles[m[1]!] = m[2] as FeatureRole;
  }
  return roles;
}

/** Config file settings as drift options (CLI flags given explicitly are applied on top by the caller). */
export function configToOptions(c: DriftConfigFile): DriftOptions {
  return {
    ...(c.bins !== undefined ? { bins: c.bins } : {}),
    ...(c.alpha !== undefined ? { alpha: c.alpha } : {}),
    ...(c.correction ? { correction: c.correction } : {}),
    ...(c.psiThreshold !== undefined ? { psiThreshold: c.psiThreshold } : {}),
    ...(c.driftShare !== undefined ? { driftShare: c.driftShare } : {}),
    ...(c.methods ? { methods: c.methods } : {}),
    ...(c.floors ? { floors: c.floors } : {}),
    ...(c.minSamples !== undefined ? { minSamples: c.minSamples } : {}),
    ...(c.epsilon !== undefined ? { epsilon: c.epsilon } : {}),
    ...(c.critical ? { critical: c.critical } : {}),
    ...(c.ignore ? { ignore: c.ignore } : {}),
    ...(c.features ? { features: c.features } : {}),
  };
}
