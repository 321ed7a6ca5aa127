import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * The committed OpenAPI document passes the ecosystem's own linters with nothing switched off:
 * Redocly's `recommended` rules (redocly.yaml) and Spectral's `spectral:oas` (.spectral.yaml),
 * 0 errors and 0 warnings from each. Both also validate every example against its schema.
 * The linters are devDependencies (`@redocly/cli`, `@stoplight/spectral-cli`); OPENAPI_LINT_BIN_DIR
 * points at another install of them.
 */
const ROOT = process.cwd();
const BIN = resolve(process.env.OPENAPI_LINT_BIN_DIR ?? join(ROOT, 'node_modules', '.bin'));
const DOC = join(ROOT, 'openapi', 'openapi.json');
const run = promisify(execFile);

/** Runs a linter; a non-zero exit (problems found) still has its report on stdout or in the output file. */
async function lint(command: string, args: string[]): Promise<string> {
  try {
    return (await run(join(BIN, command), args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', REDOCLY_TELEMETRY: 'off' } }))
      .stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: unknown };
    if (typeof e.code === 'number') return e.stdout ?? '';
    throw new Error(`${command} did not run (${String(e.code)}): ${e.stderr ?? error}`);
  }
}

interface RedoclyReport {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[];
}
interface SpectralResult {
  code: string;
  severity: number;
  message: string;
  path: (string | number)[];
}

describe('openapi/openapi.json under the ecosystem linters', () => {
  it('has the linters installed', () => {
    expect(existsSync(join(BIN, 'redocly')), `${BIN}/redocly (npm i -D @redocly/cli, or set OPENAPI_LINT_BIN_DIR)`).toBe(true);
    expect(existsSync(join(BIN, 'spectral')), `${BIN}/spectral (npm i -D @stoplight/spectral-cli, or set OPENAPI_LINT_BIN_DIR)`).toBe(true);
  });

  it('passes Redocly recommended with 0 errors and 0 warnings', async () => {
    const out = await lint('redocly', ['lint', DOC, '--config', join(ROOT, 'redocly.yaml'), '--format=json']);
    const report = JSON.parse(out) as RedoclyReport;
    const problems = report.problems.map((p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
    expect(problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 120_000);

  it("passes Spectral's spectral:oas with no result of any severity", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlcycle-spectral-'));
    try {
      // -o: the JSON alone in a file (stdout adds a summary line after it).
      const output = join(dir, 'results.json');
      await lint('spectral', ['lint', DOC, '-r', join(ROOT, '.spectral.yaml'), '-f', 'json', '-o', output, '--fail-severity', 'hint']);
      const results = JSON.parse(readFileSync(output, 'utf8')) as SpectralResult[];
      expect(results.map((r) => `${r.code} (severity ${r.severity}) at ${r.path.join('.')}: ${r.message}`)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('would be caught: the linters reject an example that contradicts its schema', async () => {
    // The check above is only worth something if the linters read the examples: break one.
    const dir = mkdtempSync(join(tmpdir(), 'mlcycle-lint-bad-'));
    try {
      const doc = JSON.parse(readFileSync(DOC, 'utf8'));
      doc.components.schemas.Model.examples[0].latestVersion = 'three';
      const bad = join(dir, 'openapi.json');
      writeFileSync(bad, JSON.stringify(doc));
      const report = JSON.parse(await lint('redocly', ['lint', bad, '--config', join(ROOT, 'redocly.yaml'), '--format=json'])) as RedoclyReport;
      expect(report.problems.map((p) => p.ruleId)).toContain('no-invalid-schema-examples');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
