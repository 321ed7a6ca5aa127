/**
 * ISO-8601 durations (`PT1H`, `P1D`, `PT30M`, `P1W`, `PT1H30M`, `PT0.5S`) as milliseconds, for
 * time windows and the retrain cooldown.
 *
 * Only fixed-length units are accepted: weeks, days, hours, minutes, seconds. A day is 24 h: all
 * windows are in UTC, where every day has 24 hours. Years and months (`P1M`, `P1Y`) vary in
 * length and are refused rather than guessed; `PT1M` (one minute) is fine. ISO 8601 lets the
 * smallest unit carry a fraction (`PT1.5H`), and so do we.
 */

export class DurationError extends Error {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`"${input}" is not a usable ISO-8601 duration: ${reason}`);
    this.name = 'DurationError';
  }
}

const PATTERN = /^P(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;
const UNIT_MS = [7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1_000] as const;
/** Far beyond any sensible window or cooldown, well inside exact integer milliseconds. */
const MAX_MS = 100 * 365 * 86_400_000;

/**
 * Parses an ISO-8601 duration into milliseconds (rounded to whole ms).
 * @example parseIsoDuration('PT1H') === 3_600_000; parseIsoDuration('P1DT12H') === 129_600_000
 * @throws DurationError for malformed text, calendar units (Y, M before T), zero, or > 100 years.
 */
export function parseIsoDuration(text: string): number {
  const input = String(text).trim().toUpperCase();
  const match = PATTERN.exec(input);
  if (!match || input === 'P' || input.endsWith('T')) {
    if (/^P(?:\d+(?:[.,]\d+)?[YM])/.test(input)) throw new DurationError(text, 'years and months have no fixed length; use days (P30D) or weeks (P4W)');
    throw new DurationError(text, 'expected a form like PT1H, PT30M, P1D, P1W or P1DT12H');
  }
  const parts = match.slice(1);
  const present = parts.map((p, i) => (p === undefined ? -1 : i)).filter((i) => i >= 0);
  let ms = 0;
  for (const i of present) {
    const raw = parts[i]!;
    if (/[.,]/.test(raw) && i !== present[present.length - 1]) throw new DurationError(text, 'only the smallest unit may have a fraction');
    ms += Number(raw.replace(',', '.')) * UNIT_MS[i]!;
  }
  ms = Math.round(ms);
  if (ms <= 0) throw new DurationError(text, 'must be longer than zero');
  if (ms > MAX_MS) throw new DurationError(text, 'must be at most 100 years');
  return ms;
}

/**
 * Canonical text for a duration in ms: the largest units first, no zero parts.
 * @example formatIsoDuration(5_400_000) === 'PT1H30M'; formatIsoDuration(86_400_000) === 'P1D'
 */
export function formatIsoDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new RangeError(`duration must be a positive whole number of ms, got ${ms}`);
  const days = Math.floor(ms / 86_400_000);
  let rest = ms - days * 86_400_000;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = rest / 1000;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${seconds}S` : ''}`;
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}
