import { Command } from 'commander';
import { registerArtifactsCommand } from './artifacts.command.js';
import { registerDataCommands } from './data.command.js';
import { registerDriftCommand } from './drift.command.js';
import { registerDriftReportCommands } from './drift-reports.command.js';
import { registerModelsCommand } from './models.command.js';
import { registerRetrainCommand } from './retrain.command.js';
import { registerVersionsCommand } from './versions.command.js';

/**
 * The `mlcycle` command. Each command group lives in its own `*.command.ts` exporting a
 * `register…Command(program)`; add new ones here. `drift` works offline on two files; its
 * subcommands (`drift reports|show|timeline`) and every other group talk to a server.
 */
export function buildProgram(): Command {
  const program = new Command('mlcycle')
    .description('Model registry, data-drift monitor and retrain trigger')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    // Options belong to the command they follow: `samples push --version 2` must not print the
    // program's version, nor `drift reports --json` set the offline drift's --json.
    .enablePositionalOptions()
    // Throw instead of exiting so index.ts decides the exit code (2 for usage errors).
    .exitOverride();
  registerDriftReportCommands(registerDriftCommand(program));
  registerModelsCommand(program);
  registerVersionsCommand(program);
  registerArtifactsCommand(program);
  registerDataCommands(program);
  registerRetrainCommand(program);
  return program;
}
