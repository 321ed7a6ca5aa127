/**
 * Spellings of a missing value, as pandas' `read_csv` recognises them by default (its
 * `STR_NA_VALUES`): what pandas, numpy, R, spreadsheets and databases write for "no value".
 */
export const DEFAULT_NA_VALUES: readonly string[] = [
  '',
  '#N/A',
  '#N/A N/A',
  '#NA',
  '-1.#IND',
  '-1.#QNAN',
  '-NaN',
  '-nan',
  '1.#IND',
  '1.#QNAN',
  '<NA>',
  'N/A',
  'NA',
  'NULL',
  'NaN',
  'None',
  'n/a',
  'nan',
  'null',
];

/**
 * Infinities in a numeric column are missing too, whatever `--na-values` says: no drift
 * statistic is defined on them (quantiles, KS, W₁), and the engine already counts them missing.
 */
export const INFINITY_TOKENS: readonly string[] = ['inf', '-inf', '+inf', 'Inf', '-Inf', '+Inf', 'Infinity', '-Infinity', '+Infinity', 'INF', '-INF'];

export interface NaMatcher {
  /** True when the (untrimmed) cell text means missing in any column. */
  isNa(text: string): boolean;
  /** True when the cell means missing in a numeric column (NA tokens plus infinities). */
  isNumericNa(text: string): boolean;
}

/** Cells are compared after trimming spaces and tabs, as " NA " is still an NA to a reader. */
export function createNaMatcher(naValues: readonly string[] = DEFAULT_NA_VALUES): NaMatcher {
  const na = new Set(naValues.map((v) => v.trim()));
  const numericNa = new Set([...na, ...INFINITY_TOKENS]);
  return {
    isNa: (text) => na.has(text.trim()),
    isNumericNa: (text) => numericNa.has(text.trim()),
  };
}
