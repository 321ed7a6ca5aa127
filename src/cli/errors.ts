/**
 * An error the user can fix (bad file, bad flag). The CLI prints its message to stderr and exits
 * with `exitCode` (2, the usual code for usage and input errors) instead of a stack trace.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
