import { AppError, type FieldError } from '../http/errors.js';

export const MAX_FIELD_ERRORS = 20;

/**
 * Collects field errors of one batch. A client fixes a whole batch in one round trip, but a batch
 * of 10 000 bad rows must not produce a 10 000-entry answer: at the limit the collector throws
 * right away, and the answer says it stopped.
 */
export class FieldErrorCollector {
  readonly errors: FieldError[] = [];

  constructor(private readonly max = MAX_FIELD_ERRORS) {}

  add(path: string, message: string): void {
    this.errors.push({ path, message });
    if (this.errors.length >= this.max) throw this.toError(true);
  }

  get count(): number {
    return this.errors.length;
  }

  throwIfAny(): void {
    if (this.errors.length > 0) throw this.toError(false);
  }

  private toError(stopped: boolean): AppError {
    const first = this.errors
      .slice(0, 3)
      .map((e) => `${e.path}: ${e.message}`)
      .join('; ');
    const more = this.errors.length > 3 ? ` (and ${this.errors.length - 3} more${stopped ? '; stopped checking after ' + this.max : ''})` : '';
    return new AppError('VALIDATION_FAILED', `the batch was not stored: ${first}${more}`, this.errors);
  }
}

export function batchTooLarge(rows: number, limit: number): AppError {
  return new AppError('BATCH_TOO_LARGE', `the batch has ${rows} rows; at most ${limit} are accepted per request, split it`);
}

/** For JSON: a short type name for messages ("got a string"). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  if (type === 'object') return 'an object';
  if (type === 'number') return Number.isFinite(value) ? 'a number' : String(value);
  return `a ${type}`;
}
