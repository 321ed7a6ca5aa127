/**
 * A problem in the data itself (not in the code): a ragged row, an unclosed quote, a text in a
 * numeric column. It names where, so the CLI can print it (exit 2) and the HTTP layer can answer
 * 400 naming the field (`column`) and the `line`.
 */
export class TabularParseError extends Error {
  constructor(
    message: string,
    readonly source: string,
    /** 1-based physical line of the offending row, when the format has lines. */
    readonly line?: number,
    /** Column name, when one column is at fault. */
    readonly column?: string,
  ) {
    super(message);
    this.name = 'TabularParseError';
  }
}

/** Builds the "source, line n, column "c": …" message the CLI and API print. */
export function parseError(source: string, detail: string, where: { line?: number; column?: string } = {}): TabularParseError {
  const at = [source, where.line !== undefined ? `line ${where.line}` : null, where.column !== undefined ? `column "${where.column}"` : null]
    .filter((x) => x !== null)
    .join(', ');
  return new TabularParseError(`${at}: ${detail}`, source, where.line, where.column);
}
