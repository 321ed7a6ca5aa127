import { CommanderError } from 'commander';
import { CliError } from './errors.js';
import { buildProgram } from './program.js';

/**
 * Entry of the `mlcycle` bin (bin/mlcycle.js). Exit codes (docs/cli.md): 0 success, 1 `--fail-on-drift`
 * with drift, a failed `retrain run --wait`, a 5xx or an unexpected failure, 2 usage or input errors
 * (bad flag, missing file, unreadable or empty data); server commands add 3 unreachable, 4 request
 * refused (4xx), 5 authentication or scope, 6 not found, 7 sha256 mismatch (see api-client.ts EXIT).
 */
async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed the message; help and version are successes.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    if (err instanceof CliError) {
      process.stderr.write(`mlcycle: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`mlcycle: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv);
