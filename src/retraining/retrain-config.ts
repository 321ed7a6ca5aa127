import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { invalidField } from '../http/errors.js';
import { DurationError, parseIsoDuration } from '../monitoring/duration.js';
import { RetrainConfig } from './retrain.schemas.js';

const check = TypeCompiler.Compile(RetrainConfig);

/**
 * The `retrain` part of a stored monitor configuration, with defaults filled in; undefined when
 * the monitor has none (or an unreadable one: a bad stored config must not trigger anything).
 */
export function retrainConfigOf(monitorConfig: Record<string, unknown> | undefined): RetrainConfig | undefined {
  const raw = monitorConfig?.retrain;
  if (!raw || typeof raw !== 'object') return undefined;
  const value = Value.Default(RetrainConfig, structuredClone(raw));
  if (!check.Check(value)) return undefined;
  try {
    parseIsoDuration(value.cooldown);
  } catch {
    return undefined;
  }
  return value;
}

/** What the schema cannot check, for PUT /monitor: the cooldown parses. */
export function validateRetrainConfig(config: RetrainConfig): void {
  try {
    parseIsoDuration(config.cooldown);
  } catch (error) {
    if (error instanceof DurationError) throw invalidField('retrain.cooldown', error.message);
    throw error;
  }
}
