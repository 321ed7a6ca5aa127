import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { invalidField } from '../http/errors.js';
import { INT4_MAX, ModelParams, Page, responses, VersionParams } from '../http/schemas.js';
import { ARROW_STREAM_TYPE, type IngestedBatch, type IngestOptions, ingestBody, parseJsonText, registerSampleBodyParsers } from './ingest.js';
import { CSV_TYPE, ingestCsv } from './ingest-csv.js';
import { inferFeatures } from './infer-features.js';
import type { DriftReportsService } from './drift-reports.service.js';
import type { IngestMeter } from '../metrics/ingest-meter.js';
import {
  DriftRangeBody,
  DriftReportView,
  LabelsAccepted,
  LabelsBody,
  ListReportsQuery,
  MonitorConfig,
  MonitorStatus,
  MonitorView,
  ReferenceSummary,
  ReferenceChunkDoc,
  ReportIdParams,
  SampleBatchDoc,
  SamplesAccepted,
  SampleTarget,
  DriftTimeline,
  TimelineQuery,
} from './monitoring.schemas.js';
import type { MonitorStatusService } from './monitor-status.service.js';
import type { MonitorsService } from './monitors.service.js';
import type { ReferenceService } from './reference.service.js';
import type { SamplesService } from './samples.service.js';

const tags = ['monitoring'];
const BODY_TYPES = `application/json, ${CSV_TYPE} (header row) or ${ARROW_STREAM_TYPE}`;
/** Parsed and validated by the handler in one pass (see openBody), so the schema declares no body. */
const BODY_MEDIA_TYPES = ['application/json', CSV_TYPE, ARROW_STREAM_TYPE];
const CSV_DOC = { type: 'string', description: 'a header row, then one row per sample', examples: ['age,plan\n41,pro\n29,free\n'] };
const ARROW_DOC = { type: 'string', format: 'binary', description: 'an Arrow IPC stream' };
const SAMPLE_DOCS = { 'application/json': SampleBatchDoc, [CSV_TYPE]: CSV_DOC, [ARROW_STREAM_TYPE]: ARROW_DOC };
const REFERENCE_DOCS = { 'application/json': ReferenceChunkDoc, [CSV_TYPE]: CSV_DOC, [ARROW_STREAM_TYPE]: ARROW_DOC };

export interface MonitoringRouteDeps {
  samples: SamplesService;
  references: ReferenceService;
  reports: DriftReportsService;
  monitors: MonitorsService;
  monitorStatus: MonitorStatusService;
  limits: { maxRows: number; sampleBytes: number; referenceBytes: number };
  /** Counts accepted and refused batches for /metrics. */
  meter?: IngestMeter;
}

const mediaTypeOf = (req: FastifyRequest) => (req.headers['content-type'] ?? 'application/json').split(';', 1)[0]!.trim().toLowerCase();

/**
 * Sample and reference bodies arrive raw — JSON as text, CSV and Arrow as bytes — and are parsed
 * once, then validated against the target version's declared features while typed columns are
 * filled. The target must be known before the rows are checked: JSON bodies name it in
 * `version`/`alias`, CSV and Arrow bodies in the query string.
 */
function openBody(req: FastifyRequest) {
  const mediaType = mediaTypeOf(req);
  const raw = req.body as string | Buffer;
  const json = mediaType === ARROW_STREAM_TYPE || mediaType === CSV_TYPE ? undefined : parseJsonText(raw as string);
  const fields = json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : {};
  const query = req.query as { version?: number; alias?: string };
  const version = fields.version ?? query.version;
  const alias = fields.alias ?? query.alias;
  if (version !== undefined && (!Number.isInteger(version) || (version as number) < 1 || (version as number) > INT4_MAX))
    throw invalidField('version', `must be an integer from 1 to ${INT4_MAX}`);
  if (alias !== undefined && (typeof alias !== 'string' || alias.length === 0 || alias.length > 128)) throw invalidField('alias', 'must be an alias name');
  return {
    raw,
    target: { ...(version !== undefined ? { version: version as number } : {}), ...(alias !== undefined ? { alias: alias as string } : {}) },
    /** The columns and types of the body, for a version that declared no features. */
    features: () => inferFeatures(mediaType, raw, json),
    async batch(options: IngestOptions): Promise<IngestedBatch> {
      if (mediaType === CSV_TYPE) return ingestCsv(raw as Buffer, options);
      // JSON arrives parsed already (its target was read from it), Arrow as bytes.
      return ingestBody(mediaType, json ?? raw, { ...options, passThroughFields: ['version', 'alias'] });
    },
  };
}

export function monitoringRoutes(deps: MonitoringRouteDeps): FastifyPluginAsyncTypebox {
  const { samples, references, reports, monitors, monitorStatus, limits, meter } = deps;
  return async (app) => {
    // Raw bodies only inside this plugin: the registry's routes keep the normal JSON parser.
    await app.register(async (scope) => {
      const ingest = scope.withTypeProvider<TypeBoxTypeProvider>();
      registerSampleBodyParsers(scope);
      meter?.register(scope, (req) => (req.routeOptions.url?.endsWith('/reference') ? 'reference' : 'samples'));

      ingest.post(
        '/models/:name/samples',
        {
          config: { scope: 'samples:write', rawBody: true, accepts: BODY_MEDIA_TYPES, bodyDocs: SAMPLE_DOCS },
          bodyLimit: limits.sampleBytes,
          schema: {
            operationId: 'postSamples',
            description:
              "Stores a batch of serving samples (features, optional predictions, ids and timestamps) for the version named by `version` or `alias` (default: the `production` alias; when none resolves, 409 NO_TARGET_VERSION). Rows are checked against the version's features; a repeated Idempotency-Key or batch id with the same rows is accepted once. Answers 202 once stored; completed windows get drift reports.",
            tags,
            summary: `Post a batch of serving samples (${BODY_TYPES}); 202 once stored`,
            params: ModelParams,
            querystring: SampleTarget,
            headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }),
            response: responses({ 202: SamplesAccepted }, [
              'MODEL_NOT_FOUND',
              'VERSION_NOT_FOUND',
              'ALIAS_NOT_FOUND',
              'NO_TARGET_VERSION',
              'MALFORMED_BODY',
              'MALFORMED_BATCH',
              'BATCH_TOO_LARGE',
              'BATCH_ID_REUSED',
            ]),
          },
        },
        async (req, reply) => {
          const body = openBody(req);
          const { model, version, settings } = await samples.resolveTarget(req.params.name, body.target);
          if (version.features.length === 0) {
            throw invalidField(
              'version',
              `version ${version.version} declares no features yet: POST its reference data first (its columns become the features)`,
            );
          }
          const batch = await body.batch({
            features: version.features,
            maxRows: limits.maxRows,
            ...(settings.timestampColumn !== undefined ? { timestampColumn: settings.timestampColumn } : {}),
          });
          meter?.rows(req, batch.rowCount);
          const key = req.headers['idempotency-key'];
          const result = await samples.ingest(model, version, batch, body.raw, typeof key === 'string' ? key : undefined, settings);
          return reply.status(202).send(result);
        },
      );

      ingest.post(
        '/models/:name/versions/:version/reference',
        {
          config: { scope: 'models:write', rawBody: true, accepts: BODY_MEDIA_TYPES, bodyDocs: REFERENCE_DOCS },
          bodyLimit: limits.referenceBytes,
          schema: {
            operationId: 'appendReference',
            description:
              "Appends a chunk of reference (training) rows to the version's profile, which drift reports compare serving windows with. A version registered without features takes the first chunk's columns as its features.",
            tags,
            summary: `Append a chunk of reference (training) data (${BODY_TYPES}) to the version's profile`,
            params: VersionParams,
            response: responses({ 200: ReferenceSummary }, [
              'MODEL_NOT_FOUND',
              'VERSION_NOT_FOUND',
              'MALFORMED_BODY',
              'MALFORMED_BATCH',
              'ARTIFACT_STORE_UNAVAILABLE',
            ]),
          },
        },
        async (req) => {
          const target = await samples.resolveTarget(req.params.name, { version: req.params.version });
          const { settings } = target;
          let { version } = target;
          const body = openBody(req);
          // A version registered without features (through MLflow) gets them from its first reference upload.
          if (version.features.length === 0) version = await references.declareFeatures(req.params.name, version, await body.features());
          // Reference chunks may be larger than serving batches: the byte limit bounds them. A
          // timestamp column is accepted (and left out of the profile) like in serving samples.
          const batch = await body.batch({
            features: version.features,
            maxRows: Number.MAX_SAFE_INTEGER,
            ...(settings.timestampColumn !== undefined ? { timestampColumn: settings.timestampColumn } : {}),
          });
          meter?.rows(req, batch.rowCount);
          return references.append(req.params.name, req.params.version, batch);
        },
      );
    });

    app.get(
      '/models/:name/versions/:version/reference',
      {
        config: { scope: 'read' },
        schema: {
          operationId: 'getReference',
          description: "Returns the version's reference profile: rows, per-feature counts, quantiles or category frequencies, and bin edges.",
          tags,
          summary: "The version's reference profile: per-feature counts, quantiles or frequencies, bin edges",
          params: VersionParams,
          response: responses({ 200: ReferenceSummary }, ['MODEL_NOT_FOUND', 'VERSION_NOT_FOUND', 'REFERENCE_NOT_FOUND', 'ARTIFACT_STORE_UNAVAILABLE']),
        },
      },
      async (req) => references.get(req.params.name, req.params.version),
    );

    app.delete(
      '/models/:name/versions/:version/reference',
      {
        config: { scope: 'models:write' },
        schema: {
          operationId: 'deleteReference',
          description: "Deletes the version's reference data; later reports fall back to the nearest ancestor's reference.",
          tags,
          summary: "Clear the version's reference data",
          params: VersionParams,
          response: responses({ 204: Type.Null() }, ['MODEL_NOT_FOUND', 'VERSION_NOT_FOUND']),
        },
      },
      async (req, reply) => {
        await references.clear(req.params.name, req.params.version);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/models/:name/labels',
      {
        config: { scope: 'samples:write' },
        schema: {
          operationId: 'postLabels',
          description:
            'Attaches ground truth to samples by their ids, also ones not posted yet (kept and joined when they arrive). Reports whose performance these labels change are revised.',
          tags,
          summary: 'Attach delayed ground truth to earlier samples by id',
          params: ModelParams,
          body: LabelsBody,
          response: responses({ 200: LabelsAccepted }, ['MODEL_NOT_FOUND']),
        },
      },
      async (req) => samples.postLabels(req.params.name, req.body),
    );

    app.put(
      '/models/:name/monitor',
      {
        config: { scope: 'models:write' },
        schema: {
          operationId: 'putMonitor',
          description:
            "Replaces the model's monitor configuration: window, drift methods and thresholds, per-feature overrides, performance tolerance and retrain policy. Fields left out take their defaults; setting an executor needs the admin scope.",
          tags,
          summary: "Set the model's monitor: window, drift options, minimum samples, performance tolerance",
          params: ModelParams,
          body: MonitorConfig,
          response: responses({ 200: MonitorView }, ['MODEL_NOT_FOUND']),
        },
      },
      async (req) => monitors.put(req.params.name, req.body, req.actor),
    );

    app.get(
      '/models/:name/monitor',
      {
        config: { scope: 'read' },
        schema: {
          operationId: 'getMonitor',
          description: 'Returns the monitor configuration as set and the effective settings with every default filled in.',
          tags,
          summary: "The model's monitor configuration and the effective settings",
          params: ModelParams,
          response: responses({ 200: MonitorView }, ['MODEL_NOT_FOUND']),
        },
      },
      async (req) => monitors.get(req.params.name),
    );

    app.post(
      '/models/:name/drift-reports',
      {
        config: { scope: 'models:write' },
        schema: {
          operationId: 'requestDriftReport',
          description:
            "Queues a drift report over the given time range of the version's samples (default: the version the `production` alias points at). Answers 202 with the pending report; poll getDriftReport.",
          tags,
          summary: 'Compute a drift report over a time range, on demand (202; poll the report)',
          params: ModelParams,
          body: DriftRangeBody,
          response: responses({ 202: DriftReportView }, ['MODEL_NOT_FOUND', 'VERSION_NOT_FOUND', 'NO_TARGET_VERSION']),
        },
      },
      async (req, reply) => reply.status(202).send(await reports.requestRange(req.params.name, req.body)),
    );

    app.get(
      '/models/:name/drift-reports',
      {
        config: { scope: 'read' },
        schema: {
          operationId: 'listDriftReports',
          description: "Lists the model's drift reports as summaries, newest first; filters by version, time range and verdict.",
          tags,
          summary: "The model's drift reports, newest first",
          params: ModelParams,
          querystring: ListReportsQuery,
          response: responses({ 200: Page(DriftReportView) }, ['MODEL_NOT_FOUND']),
        },
      },
      async (req) => reports.list(req.params.name, req.query),
    );

    app.get(
      '/drift-reports/:id',
      {
        config: { scope: 'read' },
        schema: {
          operationId: 'getDriftReport',
          description: 'Returns one drift report whole: per-feature tests, PSI, effect sizes and histograms, performance and the options it ran with.',
          tags,
          summary: 'One drift report, whole: per-feature results and histograms',
          params: ReportIdParams,
          response: responses({ 200: DriftReportView }, ['DRIFT_REPORT_NOT_FOUND']),
        },
      },
      async (req) => reports.get(req.params.id),
    );

    app.get(
      '/models/:name/monitor/status',
      {
        config: { scope: 'read' },
        schema: {
          operationId: 'getMonitorStatus',
          description:
            "Whether the model's windows still end in reports: `ok`, `stopped` (the newest finished report failed; `reason` and `message` say why) or `idle` (none finished yet).",
          tags,
          summary: "Whether the model's windows still end in reports: ok, stopped (the newest finished report failed, with the reason) or idle",
          params: ModelParams,
          response: responses({ 200: MonitorStatus }, ['MODEL_NOT_FOUND']),
        },
      },
      async (req) => monitorStatus.status(req.params.name),
    );

    app.get(
      '/models/:name/drift/timeline',
      {
        config: { scope: 'read' },
        schema: {
          operationId: 'driftTimeline',
          description:
            'Per-window drift values for charts, oldest first: dataset verdict, drift share and per feature PSI, test statistic, p-value and verdict. `feature` and `version` filter.',
          tags,
          summary: 'Per-window PSI, test statistic, p-value and verdict per feature, oldest first',
          params: ModelParams,
          querystring: TimelineQuery,
          response: responses({ 200: DriftTimeline }, ['MODEL_NOT_FOUND']),
        },
      },
      async (req) => reports.timeline(req.params.name, req.query),
    );
  };
}
