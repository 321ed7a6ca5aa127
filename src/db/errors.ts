/**
 * Driver errors, classified without knowing which dialect runs. drizzle wraps driver errors
 * (DrizzleQueryError) with the original as `cause`, so every check looks down the chain.
 */
const codeOf = (error: unknown): string => {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : '';
};
const causeOf = (error: unknown): unknown => (error as { cause?: unknown } | undefined)?.cause;

/** SQLite's and PostgreSQL's (SQLSTATE 23505) spelling of a unique-constraint violation. */
export function isUniqueViolation(error: unknown): boolean {
  const code = codeOf(error);
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505') return true;
  const cause = causeOf(error);
  return cause !== undefined && cause !== error && isUniqueViolation(cause);
}

/** SQLSTATE classes and socket errors that mean "the database is not there", not "the query is wrong". */
export function isDatabaseUnavailable(error: unknown): boolean {
  const cause = causeOf(error);
  if (cause !== undefined && cause !== error && isDatabaseUnavailable(cause)) return true;
  const code = codeOf(error);
  if (code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code)) return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly/i.test(message);
}
