import { execFile, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { devNull } from 'node:os';
import { join, resolve } from 'node:path';
import { Float64, Table, Utf8, tableToIPC, vectorFromArray } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess } from '../helpers/server-process.js';

/**
 * clients/python as a user gets it: `pip install ./clients/python` into a fresh venv with no
 * package index and no local wheel folder (offline), then the package's own unittest suite
 * (clients/python/tests) run by that venv's python against a live server.
 */
const TOKEN = 'py-client-e2e-token-0123456789abcdef';
const PACKAGE = resolve('clients', 'python');
/** The number of tests in clients/python/tests/test_client.py: a test that silently vanished fails here. */
const PYTHON_TESTS = 16;
const dir = join(process.cwd(), '.tmp', 'test', `python-client-${randomUUID()}`);
const venv = join(dir, 'venv');
let server: ChildProcess;
let base: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** No PIP_* settings of this machine (its find-links, extra index): only what the command says. */
function offlineEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('PIP_') && !key.startsWith('PYTHON')) env[key] = value;
  return { ...env, PIP_CONFIG_FILE: devNull, PIP_DISABLE_PIP_VERSION_CHECK: '1', PYTHONDONTWRITEBYTECODE: '1', ...extra };
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeout = 120_000): Promise<Run> {
  return new Promise((done) => {
    execFile(file, args, { env, timeout, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      done({ code: error ? Number((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  const started = await startServerProcess({
    DATA_DIR: join(dir, 'data'),
    ADMIN_TOKEN: TOKEN,
    LOG_LEVEL: 'warn',
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
    OUTBOUND_ALLOW_PRIVATE: 'true',
  });
  server = started.child;
  base = started.base;
  // An Arrow IPC stream for the reference and samples tests (the python side has no pyarrow).
  const table = new Table({
    x: vectorFromArray([1.5, 2.5, 3.5], new Float64()),
    c: vectorFromArray(['a', 'b', 'a'], new Utf8()),
    __id: vectorFromArray(['arrow-1', 'arrow-2', 'arrow-3'], new Utf8()),
  });
  writeFileSync(join(dir, 'batch.arrows'), tableToIPC(table, 'stream'));
});

afterAll(() => {
  if (server?.exitCode === null) server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('clients/python', () => {
  it('installs offline with `pip install --no-index ./clients/python`, and twice (a reinstall)', async () => {
    const created = await run('python3', ['-m', 'venv', venv], offlineEnv());
    expect(created.code, created.stderr).toBe(0);
    const pip = join(venv, 'bin', 'pip');
    const installed = await run(pip, ['install', '--no-index', PACKAGE], offlineEnv());
    expect(installed.code, installed.stderr + installed.stdout).toBe(0);
    expect(installed.stdout).toMatch(/Successfully installed mlcycle-client-\d+\.\d+\.\d+/);
    const again = await run(pip, ['install', '--no-index', '--force-reinstall', PACKAGE], offlineEnv());
    expect(again.code, again.stderr).toBe(0);

    // The venv's copy is the one imported (not the source tree), and its version is pyproject's.
    const probe = await run(
      join(venv, 'bin', 'python'),
      ['-c', 'import json, mlcycle_client as m; print(json.dumps({"file": m.__file__, "version": m.__version__}))'],
      offlineEnv(),
    );
    expect(probe.code, probe.stderr).toBe(0);
    const { file, version } = JSON.parse(probe.stdout) as { file: string; version: string };
    expect(file.startsWith(join(venv, 'lib'))).toBe(true);
    expect(readFileSync(join(PACKAGE, 'pyproject.toml'), 'utf8')).toContain(`version = "${version}"`);
  }, 180_000);

  it('passes its unittest suite against the live server', async () => {
    const result = await run(
      join(venv, 'bin', 'python'),
      ['-m', 'unittest', 'discover', '-v', '-s', join(PACKAGE, 'tests')],
      offlineEnv({ MLCYCLE_URL: base, MLCYCLE_TOKEN: TOKEN, MLCYCLE_ARROW_FILE: join(dir, 'batch.arrows') }),
      240_000,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`^Ran ${PYTHON_TESTS} tests in `, 'm'));
    expect(result.stderr).toMatch(/^OK$/m);
    expect(result.stderr).not.toMatch(/skipped/);
  }, 300_000);
});
