import { parse } from 'yaml';

/**
 * Features from an MLflow model signature: `MLmodel`'s `signature.inputs` is a JSON string of
 * column specs (`[{"name": "age", "type": "long"}, …]`). Column types map onto mlcycle's feature
 * types; tensor signatures, unnamed columns and types drift cannot compare (binary) give nothing.
 * Pure: no I/O.
 */
const NUMERIC = new Set(['integer', 'long', 'float', 'double']);
const CATEGORICAL = new Set(['string', 'boolean']);

export type SignatureFeature = { name: string; type: 'numeric' | 'categorical'; role?: 'timestamp' };

export function featuresFromMlmodel(text: string): SignatureFeature[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return [];
  }
  const inputs = (doc as { signature?: { inputs?: unknown } } | null)?.signature?.inputs;
  let specs: unknown;
  try {
    specs = typeof inputs === 'string' ? JSON.parse(inputs) : inputs;
  } catch {
    return [];
  }
  if (!Array.isArray(specs)) return [];
  const out: SignatureFeature[] = [];
  const seen = new Set<string>();
  for (const spec of specs as { name?: unknown; type?: unknown }[]) {
    if (typeof spec?.name !== 'string' || spec.name === '' || seen.has(spec.name) || typeof spec.type !== 'string') continue;
    if (NUMERIC.has(spec.type)) out.push({ name: spec.name, type: 'numeric' });
    else if (CATEGORICAL.has(spec.type)) out.push({ name: spec.name, type: 'categorical' });
    // Stored (ISO strings or numbers alike), never a drift feature.
    else if (spec.type === 'datetime') out.push({ name: spec.name, type: 'categorical', role: 'timestamp' });
    else continue;
    seen.add(spec.name);
  }
  return out;
}

/** `mlflow-artifacts:/P` → `P`; anything else → undefined. */
export function artifactPathOf(uri: string): string | undefined {
  const m = /^mlflow-artifacts:\/+(.+?)\/*$/.exec(uri);
  return m?.[1];
}
