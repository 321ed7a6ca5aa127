import type { FeatureSpec, SampleBatch } from './batch.js';

export interface IngestOptions {
  /** The version's declared features: the batch is checked against them and holds exactly them. */
  features: readonly FeatureSpec[];
  /** Rows accepted per request (default 10 000); more answers 413 BATCH_TOO_LARGE. */
  maxRows?: number;
  /**
   * Top-level JSON fields the route itself reads (e.g. `version`, `alias` on /samples); they are
   * allowed through unchecked. Any other unknown field is an error.
   */
  passThroughFields?: readonly string[];
  /** The monitor's `timestampColumn`: a body column (a declared feature or not) holding each row's time. */
  timestampColumn?: string;
}

export const DEFAULT_MAX_ROWS = 10_000;

/** A validated batch: every declared feature present (missing everywhere if the body lacked it). */
export interface IngestedBatch extends SampleBatch {
  /** The body's `batchId`, the idempotency key when no Idempotency-Key header is sent. */
  batchId?: string;
  /** The body's `timestamp`, epoch ms. */
  timestamp?: number;
  /** How the body names predictions, labels and scores, for error paths (JSON's by default). */
  outcomeFields?: OutcomeFieldNames;
}

/** The body's names of the outcome fields (JSON arrays or the reserved CSV/Arrow columns), for error paths. */
export interface OutcomeFieldNames {
  predictions: string;
  labels: string;
  scores: string;
  classes: string;
}
