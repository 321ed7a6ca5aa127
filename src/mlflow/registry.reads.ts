import type { ModelRow, RegistryRepository } from '../registry/registry.repository.js';
import type { Model, Version } from '../registry/registry.schemas.js';
import type { RegistryViews } from '../registry/views.js';
import { latestVersionNumbers, loggedModelIdOf } from './mapping.js';
import { artifactPathOf, featuresFromMlmodel } from './signature.js';

/** What a registration needs from the run store (tracking.service.ts, logged-models.service.ts). */
export interface RunLookup {
  /** The run's params and latest metrics, copied onto a version registered from it; undefined when unknown. */
  runData(runId: string): Promise<{ params: Record<string, string>; metrics: Record<string, number> } | undefined>;
  /** A logged model's source run and artifact URI (`mlflow-artifacts:/…`). */
  loggedModel(modelId: string): Promise<{ sourceRunId: string | null; artifactUri: string } | undefined>;
  /** A run's artifact URI, to resolve `runs:/<id>/<path>` sources. */
  runArtifactUri(runId: string): Promise<string | undefined>;
}

/** Small-file reads of the MLflow artifact store (for `MLmodel`). */
export interface ArtifactReader {
  readSmall(path: string, maxBytes: number): Promise<Buffer | undefined>;
}

/**
 * The reads MLflow's registry calls need beyond the native services: a model's
 * `latest_versions`, whole-registry listings for search, and where a version's source lives
 * (a logged model's root, a run's artifacts) with the features its MLmodel signature declares.
 */
export function createRegistryReads(deps: { repo: RegistryRepository; views: RegistryViews; runs?: RunLookup; artifacts?: ArtifactReader }) {
  const { repo, views } = deps;

  async function latestOf(model: Model): Promise<Version[]> {
    const numbers = latestVersionNumbers(model);
    const row = await repo.findModel(model.name);
    if (!row) return [];
    const rows = await Promise.all([...numbers.keys()].sort((a, b) => a - b).map((n) => repo.findVersion(row.id, n)));
    // lastVersion is a counter: after a delete, the newest existing version stands in.
    if (model.latestVersion !== null && numbers.get(model.latestVersion) === 'None' && !rows.some((v) => v?.version === model.latestVersion)) {
      const newest = await repo.latestVersion(row.id);
      if (newest && !numbers.has(newest.version)) rows.push(newest);
    }
    const found = rows.filter((v): v is NonNullable<typeof v> => v !== undefined).sort((a, b) => a.version - b.version);
    return Promise.all(found.map((v) => views.versionView(row, v)));
  }

  /** Where a source's files are: a logged model's root, a run's artifact path, or the URI itself. */
  async function resolveSource(source: string | null): Promise<string> {
    const modelId = loggedModelIdOf(source);
    if (modelId) return (await deps.runs?.loggedModel(modelId))?.artifactUri ?? source ?? '';
    const run = /^runs:\/([0-9a-f]{32})\/?(.*)$/.exec(source ?? '');
    if (run) {
      const root = await deps.runs?.runArtifactUri(run[1]!);
      if (root) return run[2] ? `${root}/${run[2]}` : root;
    }
    return source ?? '';
  }

  /** The features an MLflow model's signature declares, when its MLmodel is in the MLflow artifact store. */
  async function signatureFeatures(source: string | undefined) {
    const path = artifactPathOf(await resolveSource(source ?? null));
    if (!path || !deps.artifacts) return [];
    const bytes = await deps.artifacts.readSmall(`${path}/MLmodel`, 1 << 20).catch(() => undefined);
    return bytes ? featuresFromMlmodel(bytes.toString('utf8')) : [];
  }

  async function allModelRows(): Promise<ModelRow[]> {
    const rows: ModelRow[] = [];
    for (let after: string | undefined; ; ) {
      const page = await repo.listModels({ limit: 1000, ...(after !== undefined ? { after } : {}), tags: [] });
      rows.push(...page);
      if (page.length < 1000) return rows;
      after = page[page.length - 1]!.name;
    }
  }

  async function allVersionsOf(row: ModelRow): Promise<Version[]> {
    const out: Version[] = [];
    for (let before: number | undefined; ; ) {
      const page = await repo.listVersions(row.id, 1000, before);
      for (const v of page) out.push(await views.versionView(row, v));
      if (page.length < 1000) return out;
      before = page[page.length - 1]!.version;
    }
  }

  return { latestOf, resolveSource, signatureFeatures, allModelRows, allVersionsOf };
}
