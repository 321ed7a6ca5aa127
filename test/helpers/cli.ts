import { execFile } from 'node:child_process';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `bin/mlcycle.js` as a subprocess, the way a user would; `env` is added to this
 * process's environment with MLCYCLE_URL / MLCYCLE_TOKEN removed, so each test says which server
 * and key it means.
 */
export function createCliRunner(env: Record<string, string> = {}) {
  const base = { ...process.env };
  delete base.MLCYCLE_URL;
  delete base.MLCYCLE_TOKEN;
  return (...args: string[]): Promise<CliResult> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        ['bin/mlcycle.js', ...args],
        { cwd: process.cwd(), env: { ...base, ...env }, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
}
