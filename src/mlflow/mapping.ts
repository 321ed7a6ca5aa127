import { invalidField } from '../http/errors.js';
import { INT4_MAX } from '../http/schemas.js';
import type { Model, Version } from '../registry/registry.schemas.js';

/**
 * MLflow's registry objects as views of mlcycle's rows (proto3 JSON: string versions, millisecond
 * timestamps, `[{key,value}]` tags). No state of its own: a registered model *is* an mlcycle
 * model, a model version *is* a version, an alias *is* an alias.
 *
 * Stages (MLflow's deprecated `current_stage`) are aliases named after the stage in lower case:
 * `transition-stage … Production` sets alias `production`. A version's stage is read back from
 * its aliases (production, then staging, then archived), else `None`.
 */
export const STAGES = ['Production', 'Staging', 'Archived'] as const;
export type Stage = (typeof STAGES)[number] | 'None';

export function stageAlias(stage: string): string | null {
  const found = STAGES.find((s) => s.toLowerCase() === stage.toLowerCase());
  if (found) return found.toLowerCase();
  if (stage.toLowerCase() === 'none') return null;
  throw invalidField('stage', `must be one of ${[...STAGES, 'None'].join(', ')}`);
}

export function stageOf(aliases: readonly string[]): Stage {
  return STAGES.find((s) => aliases.includes(s.toLowerCase())) ?? 'None';
}

export const ms = (iso: string): number => Date.parse(iso);

export interface KeyValue {
  key: string;
  value: string;
}
export const tagList = (tags: Record<string, string>): KeyValue[] => Object.entries(tags).map(([key, value]) => ({ key, value }));

/** `[{key,value}]` → record; later entries win, as MLflow's set semantics do. */
export function tagRecord(list: readonly { key?: unknown; value?: unknown }[] | undefined, field = 'tags'): Record<string, string> {
  const out: Record<string, string> = {};
  (list ?? []).forEach((t, i) => {
    if (typeof t.key !== 'string' || t.key === '') throw invalidField(`${field}[${i}].key`, 'is required');
    out[t.key] = t.value === undefined || t.value === null ? '' : String(t.value);
  });
  return out;
}

/** MLflow sends versions as strings ("3"); mlcycle numbers them 1…INT4_MAX. */
export function versionNumber(raw: unknown, field = 'version'): number {
  const text = typeof raw === 'number' ? String(raw) : raw;
  if (typeof text !== 'string' || !/^[1-9][0-9]{0,9}$/.test(text) || Number(text) > INT4_MAX) {
    throw invalidField(field, 'must be a version number ("1", "2", …)');
  }
  return Number(text);
}

/** Where a version's artifacts are, from its source: a logged model (`models:/m-…`) resolves to the logged model's artifact root. */
export const loggedModelIdOf = (source: string | null): string | undefined => /^models:\/(m-[0-9a-f]{32})$/.exec(source ?? '')?.[1];

export function modelVersionJson(v: Version, withAliases = true) {
  return {
    name: v.model,
    version: String(v.version),
    creation_timestamp: ms(v.createdAt),
    last_updated_timestamp: ms(v.updatedAt),
    ...(v.createdBy ? { user_id: v.createdBy } : {}),
    current_stage: stageOf(v.aliases),
    description: v.description ?? '',
    source: v.artifactUri ?? '',
    run_id: v.runId ?? '',
    run_link: '',
    status: 'READY',
    tags: tagList(v.tags),
    ...(withAliases ? { aliases: v.aliases } : {}),
    ...(loggedModelIdOf(v.artifactUri) ? { model_id: loggedModelIdOf(v.artifactUri) } : {}),
  };
}
export type ModelVersionJson = ReturnType<typeof modelVersionJson>;

export function registeredModelJson(m: Model, latestVersions: Version[]) {
  return {
    name: m.name,
    creation_timestamp: ms(m.createdAt),
    last_updated_timestamp: ms(m.updatedAt),
    description: m.description ?? '',
    latest_versions: latestVersions.map((v) => modelVersionJson(v, false)),
    tags: tagList(m.tags),
    aliases: Object.entries(m.aliases).map(([alias, version]) => ({ alias, version: String(version) })),
  };
}

/**
 * MLflow's `latest_versions`: the newest version of each stage. With stages kept as aliases there
 * is one version per stage; `None` is the model's newest version when it holds no stage.
 */
export function latestVersionNumbers(m: Model): Map<number, Stage> {
  const out = new Map<number, Stage>();
  for (const stage of STAGES) {
    const v = m.aliases[stage.toLowerCase()];
    if (v !== undefined && !out.has(v)) out.set(v, stage);
  }
  if (m.latestVersion !== null && !out.has(m.latestVersion)) out.set(m.latestVersion, 'None');
  return out;
}
