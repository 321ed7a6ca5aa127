import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { invalidField } from '../http/errors.js';
import { DurationError, parseIsoDuration } from '../monitoring/duration.js';
import { ExecutorConfig, RetrainConfig } from './retrain.schemas.js';

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

/** A client's executor with the schema's declared defaults filled in (ajv leaves those inside the union out). */
export function withExecutorDefaults<E extends ExecutorConfig>(executor: E): E {
  return Value.Default(ExecutorConfig, structuredClone(executor)) as E;
}

/**
 * What the schema cannot check, for PUT /monitor: the cooldown parses. Also fills the executor's
 * declared defaults into `config` (it is stored as it is now).
 */
export function validateRetrainConfig(config: RetrainConfig): void {
  config.executor = withExecutorDefaults(config.executor);
  try {
    parseIsoDuration(config.cooldown);
  } catch (error) {
    if (error instanceof DurationError) throw invalidField('retrain.cooldown', error.message);
    throw error;
  }
}
