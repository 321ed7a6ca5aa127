import { invalidField } from '../http/errors.js';

/**
 * The subset of MLflow's search-filter grammar its clients send (`search_registered_models`,
 * `search_model_versions`, `search_runs`, `search_logged_models`):
 *
 *   clause (AND clause)*        AND in any case
 *   clause   := key op value
 *   key      := attribute | tag.<k> | tags.<k> | attribute.<a> | params.<k> | metrics.<k>, any part `back-quoted`
 *   op       := = | != | LIKE | ILIKE             (< <= > >= for numeric keys, when the caller allows them)
 *   value    := 'text' | "text" | number
 *
 * Pure: no I/O. Anything outside the subset is a 400 naming `filter` (MLflow's
 * INVALID_PARAMETER_VALUE), never a silently wider match.
 */
export type Comparator = '=' | '!=' | 'LIKE' | 'ILIKE' | '<' | '<=' | '>' | '>=';
export type ClauseKind = 'attribute' | 'tag' | 'param' | 'metric';
export interface Clause {
  kind: ClauseKind;
  key: string;
  op: Comparator;
  value: string;
}

export interface FilterGrammar {
  /** Attribute names the entity has (e.g. `name`, `run_id`). */
  attributes: readonly string[];
  /** Which prefixed keys are allowed besides attributes (default: tags only). */
  kinds?: readonly ClauseKind[];
  /** Attributes compared as numbers (`version_number`, `start_time`): they may use < <= > >=. */
  numeric?: readonly string[];
}

const PREFIXES: Record<string, ClauseKind> = {
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  param: 'param',
  params: 'param',
  parameter: 'param',
  parameters: 'param',
  metric: 'metric',
  metrics: 'metric',
};

const bad = (message: string) => invalidField('filter', message);

class Scanner {
  i = 0;
  constructor(readonly s: string) {}
  skipSpace(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }
  done(): boolean {
    this.skipSpace();
    return this.i >= this.s.length;
  }
  peek(): string {
    return this.s[this.i] ?? '';
  }
  /** A key: dot-separated parts, each plain (letters, digits, _) or back-quoted. */
  key(): string[] {
    this.skipSpace();
    const parts: string[] = [];
    for (;;) {
      if (this.peek() === '`') {
        const end = this.s.indexOf('`', this.i + 1);
        if (end < 0) throw bad(`unterminated back-quoted key at position ${this.i}`);
        parts.push(this.s.slice(this.i + 1, end));
        this.i = end + 1;
      } else {
        const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.s.slice(this.i));
        if (!m) throw bad(`expected a key at position ${this.i}`);
        parts.push(m[0]);
        this.i += m[0].length;
      }
      if (this.peek() !== '.') return parts;
      this.i++;
    }
  }
  comparator(): Comparator {
    this.skipSpace();
    const rest = this.s.slice(this.i);
    const symbol = /^(!=|<=|>=|==|=|<|>)/.exec(rest);
    if (symbol) {
      this.i += symbol[0].length;
      return symbol[0] === '==' ? '=' : (symbol[0] as Comparator);
    }
    const word = /^(ILIKE|LIKE)(?=[\s'"])/i.exec(rest);
    if (word) {
      this.i += word[0].length;
      return word[0].toUpperCase() as Comparator;
    }
    throw bad(`expected one of =, !=, LIKE, ILIKE at position ${this.i}`);
  }
  value(): string {
    this.skipSpace();
    const quote = this.peek();
    if (quote === "'" || quote === '"') {
      let out = '';
      for (let j = this.i + 1; j < this.s.length; j++) {
        const c = this.s[j]!;
        if (c === '\\' && j + 1 < this.s.length) {
          out += this.s[++j];
        } else if (c === quote) {
          this.i = j + 1;
          return out;
        } else out += c;
      }
      throw bad(`unterminated string at position ${this.i}`);
    }
    const num = /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(this.s.slice(this.i));
    if (!num) throw bad(`expected a quoted value at position ${this.i}`);
    this.i += num[0].length;
    return num[0];
  }
  and(): void {
    this.skipSpace();
    const m = /^AND(?=\s|$)/i.exec(this.s.slice(this.i));
    if (!m) throw bad(`expected AND at position ${this.i} (only AND joins clauses)`);
    this.i += 3;
  }
}

function classify(parts: string[], grammar: FilterGrammar): { kind: ClauseKind; key: string } {
  const kinds = grammar.kinds ?? ['tag'];
  if (parts.length >= 2) {
    const kind = PREFIXES[parts[0]!.toLowerCase()];
    if (kind) {
      const key = parts.slice(1).join('.');
      if (kind === 'attribute') return classify([key], grammar);
      if (!kinds.includes(kind)) throw bad(`${parts[0]}.<key> is not searchable here`);
      return { kind, key };
    }
  }
  const key = parts.join('.');
  if (!grammar.attributes.includes(key)) throw bad(`"${key}" is not a searchable attribute (allowed: ${grammar.attributes.join(', ')}, tag.<key>)`);
  return { kind: 'attribute', key };
}

/** Parses a filter string; undefined or blank means no condition. */
export function parseFilter(filter: string | undefined, grammar: FilterGrammar): Clause[] {
  if (filter === undefined || filter.trim() === '') return [];
  const scanner = new Scanner(filter);
  const clauses: Clause[] = [];
  for (;;) {
    const { kind, key } = classify(scanner.key(), grammar);
    const op = scanner.comparator();
    const numeric = kind === 'metric' || (kind === 'attribute' && (grammar.numeric ?? []).includes(key));
    if (!numeric && !['=', '!=', 'LIKE', 'ILIKE'].includes(op)) throw bad(`"${op}" compares numbers; "${key}" is text`);
    if (numeric && (op === 'LIKE' || op === 'ILIKE')) throw bad(`${op} does not apply to the numeric "${key}"`);
    clauses.push({ kind, key, op, value: scanner.value() });
    if (scanner.done()) return clauses;
    scanner.and();
  }
}

/** SQL LIKE as a regular expression: % any run, _ one character; the rest literal. */
export function likePattern(pattern: string, caseInsensitive: boolean): RegExp {
  let source = '';
  for (const c of pattern) source += c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`^${source}$`, caseInsensitive ? 'is' : 's');
}

function compare(actual: string | number | undefined, op: Comparator, expected: string): boolean {
  if (actual === undefined) return false;
  if (typeof actual === 'number' || op === '<' || op === '<=' || op === '>' || op === '>=') {
    const a = Number(actual);
    const e = Number(expected);
    switch (op) {
      case '=':
        return a === e;
      case '!=':
        return a !== e;
      case '<':
        return a < e;
      case '<=':
        return a <= e;
      case '>':
        return a > e;
      case '>=':
        return a >= e;
      default:
        return false;
    }
  }
  switch (op) {
    case '=':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case 'LIKE':
      return likePattern(expected, false).test(actual);
    case 'ILIKE':
      return likePattern(expected, true).test(actual);
    default:
      return false;
  }
}

export interface Searchable {
  attributes: Record<string, string | number | undefined>;
  tags?: Record<string, string>;
  params?: Record<string, string>;
  metrics?: Record<string, number>;
}

/**
 * Whether an entity satisfies every clause. An absent key never matches, except under `!=` on a
 * tag: the MLflow client adds `tag.\`mlflow.prompt.is_prompt\` != 'true'` to every registry search
 * and expects models without that tag back.
 */
export function matches(clauses: readonly Clause[], entity: Searchable): boolean {
  return clauses.every((c) => {
    const source = c.kind === 'attribute' ? entity.attributes : c.kind === 'tag' ? entity.tags : c.kind === 'param' ? entity.params : entity.metrics;
    const actual = source?.[c.key];
    if (actual === undefined) return c.op === '!=' && c.kind === 'tag';
    return compare(actual, c.op, c.value);
  });
}

export interface OrderKey {
  key: string;
  descending: boolean;
}

/** `order_by` entries: `<key> [ASC|DESC]`, keys among `allowed`. */
export function parseOrderBy(orderBy: readonly string[] | undefined, allowed: readonly string[]): OrderKey[] {
  return (orderBy ?? []).map((entry, i) => {
    const m = /^\s*`?([A-Za-z_][A-Za-z0-9_.]*)`?\s*(ASC|DESC)?\s*$/i.exec(entry);
    const key = m?.[1]?.replace(/^attributes?\./, '');
    if (!m || !key || !allowed.includes(key)) {
      throw invalidField(`order_by[${i}]`, `must be "<key> [ASC|DESC]" with key one of ${allowed.join(', ')}`);
    }
    return { key, descending: (m[2] ?? 'ASC').toUpperCase() === 'DESC' };
  });
}

/** A comparator for Array.sort from parsed order keys, then the tie-breakers given. */
export function orderComparator<T>(keys: readonly OrderKey[], value: (item: T, key: string) => string | number | undefined) {
  return (a: T, b: T): number => {
    for (const { key, descending } of keys) {
      const x = value(a, key);
      const y = value(b, key);
      if (x === y) continue;
      if (x === undefined) return 1;
      if (y === undefined) return -1;
      const c = x < y ? -1 : 1;
      return descending ? -c : c;
    }
    return 0;
  };
}

/** Offset pagination behind an opaque token: MLflow clients only hand back what they got. */
export function paginate<T>(items: readonly T[], maxResults: number, pageToken: string | undefined): { page: T[]; nextPageToken?: string } {
  let offset = 0;
  if (pageToken) {
    const decoded = /^o:(\d{1,9})$/.exec(Buffer.from(pageToken, 'base64url').toString('utf8'));
    if (!decoded) throw invalidField('page_token', 'is not a token this server issued');
    offset = Number(decoded[1]);
  }
  const page = items.slice(offset, offset + maxResults);
  const next = offset + maxResults;
  return next < items.length ? { page, nextPageToken: Buffer.from(`o:${next}`).toString('base64url') } : { page };
}

/** `max_results`: a positive integer up to `limit` (MLflow's own caps), `fallback` when absent. */
export function maxResults(raw: unknown, fallback: number, limit: number): number {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const n = typeof raw === 'number' ? raw : /^\d{1,9}$/.test(String(raw)) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > limit) throw invalidField('max_results', `must be an integer from 1 to ${limit}`);
  return n;
}
