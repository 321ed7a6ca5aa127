import { Command } from 'commander';
import { registerDriftCommand } from './drift.command.js';

/**
 * The `mlcycle` command. Each subcommand lives in its own `*.command.ts` exporting a
 * `register…Command(program)`; add new ones here.
 */
export function buildProgram(): Command {
  const program = new Command('mlcycle')
    .description('Model registry, data-drift monitor and retrain trigger')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    // Throw instead of exiting so index.ts decides the exit code (2 for usage errors).
    .exitOverride();
  registerDriftCommand(program);
  return program;
}
