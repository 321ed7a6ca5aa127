import { type DriftMethod, type DriftOptions, type FeatureRole, resolveOptions } from '../drift/index.js';
import { invalidField } from '../http/errors.js';
import { DurationError, parseIsoDuration } from './duration.js';
import type { MonitoringRepository } from './monitoring.repository.js';
import type { MonitorConfig } from './monitoring.schemas.js';
import { DEFAULT_WINDOW, parseLateness, type WindowSpec, resolveWindow } from './window.js';

/** A monitor's configuration with every default filled in: what ingestion and drift jobs act on. */
export interface MonitorSettings {
  window: WindowSpec;
  /** Stable text of the window, part of every report's window key (changing the window starts new keys). */
  windowLabel: string;
  minSamples: number;
  drift: DriftOptions;
  performance: { tolerance: number };
  /** The body column holding each row's time, if the monitor names one. */
  timestampColumn?: string;
}

export const DEFAULT_MIN_SAMPLES = 30;
export const DEFAULT_PERFORMANCE_TOLERANCE = 0.05;

/**
 * Resolves a stored (or absent) monitor configuration. Pure. A model with no configuration is
 * monitored with the defaults: count windows of 1 000 samples, the drift core's defaults.
 */
export function resolveMonitor(config: MonitorConfig | undefined): MonitorSettings {
  const c = config ?? {};
  const windowConfig = c.window ?? DEFAULT_WINDOW;
  const window = resolveWindow(windowConfig);
  return {
    window,
    windowLabel: 'size' in windowConfig ? `n${windowConfig.size}` : `t${windowConfig.every.toUpperCase()}`,
    minSamples: c.minSamples ?? DEFAULT_MIN_SAMPLES,
    // Resolved, so GET …/monitor's `effective` shows every default (floors, α, PSI threshold).
    drift: resolveOptions({
      ...(c.methods ? { methods: c.methods as DriftMethod[] } : {}),
      ...(c.bins !== undefined ? { bins: c.bins } : {}),
      ...(c.alpha !== undefined ? { alpha: c.alpha } : {}),
      ...(c.correction ? { correction: c.correction } : {}),
      ...(c.psiThreshold !== undefined ? { psiThreshold: c.psiThreshold } : {}),
      ...(c.driftShare !== undefined ? { driftShare: c.driftShare } : {}),
      ...(c.critical ? { critical: c.critical } : {}),
      ...(c.floors ? { floors: c.floors } : {}),
      ...(c.features ? { features: c.features } : {}),
      minSamples: c.minSamples ?? DEFAULT_MIN_SAMPLES,
    }),
    performance: { tolerance: c.performance?.tolerance ?? DEFAULT_PERFORMANCE_TOLERANCE },
    ...(c.timestampColumn !== undefined ? { timestampColumn: c.timestampColumn } : {}),
  };
}

/** The settings of a model's stored monitor (the defaults when it has none). */
export async function monitorSettings(repo: Pick<MonitoringRepository, 'monitorConfig'>, modelId: number): Promise<MonitorSettings> {
  return resolveMonitor((await repo.monitorConfig(modelId)) as MonitorConfig | undefined);
}

/**
 * The drift options for one version's report: the monitor's settings, the window's minimum, and
 * the roles its feature schema declares (ids and timestamps are never compared).
 */
export function driftOptionsFor(settings: MonitorSettings, features: readonly { name: string; role?: FeatureRole }[]): DriftOptions {
  const roles: Record<string, FeatureRole> = {};
  for (const f of features) if (f.role && f.role !== 'feature') roles[f.name] = f.role;
  return { ...settings.drift, minSamples: settings.minSamples, roles };
}

/** The shortest time window: below it every sweep would close windows of a handful of samples. */
export const MIN_WINDOW_MS = 60_000;

/** Checks what the schema cannot: the duration parses (and is ≥ PT1M), critical and per-feature names exist on the latest version. */
export function validateMonitorConfig(config: MonitorConfig, features: readonly { name: string }[] | undefined): void {
  if (config.window && 'every' in config.window) {
    let ms: number;
    try {
      ms = parseIsoDuration(config.window.every);
    } catch (error) {
      if (error instanceof DurationError) throw invalidField('window.every', error.message);
      throw error;
    }
    if (ms < MIN_WINDOW_MS) throw invalidField('window.every', `must be at least PT1M (one minute), got "${config.window.every}"`);
    if (config.window.allowedLateness !== undefined) {
      try {
        parseLateness(config.window.allowedLateness);
      } catch (error) {
        if (error instanceof DurationError) throw invalidField('window.allowedLateness', error.message);
        throw error;
      }
    }
  }
  if (config.timestampColumn !== undefined && features?.some((f) => f.name === config.timestampColumn && (f as { role?: string }).role !== 'timestamp'))
    throw invalidField(
      'timestampColumn',
      `"${config.timestampColumn}" is a drift feature of the latest version; mark it role "timestamp" or name another column`,
    );
  if (config.critical && features) {
    const known = new Set(features.map((f) => f.name));
    config.critical.forEach((name, i) => {
      if (!known.has(name)) throw invalidField(`critical[${i}]`, `"${name}" is not a feature of the latest version`);
    });
  }
  if (config.features && features) {
    const known = new Set(features.map((f) => f.name));
    for (const name of Object.keys(config.features)) {
      if (!known.has(name)) throw invalidField(`features.${name}`, `"${name}" is not a feature of the latest version`);
    }
  }
}
