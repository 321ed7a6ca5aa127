import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { invalidField } from '../http/errors.js';
import { DurationError, parseIsoDuration } from '../monitoring/duration.js';
import { METRIC_INFO } from './paired-tests.js';
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
 * What the schema cannot check, for PUT /monitor: the cooldown parses; a given promote mode agrees with
 * its metric. Also fills the executor's declared defaults into `config` (it is stored as it is now).
 */
export function validateRetrainConfig(config: RetrainConfig): void {
  config.executor = withExecutorDefaults(config.executor);
  const promote = config.promote;
  if (promote?.mode && promote.mode !== METRIC_INFO[promote.metric].mode)
    throw invalidField(
      'retrain.promote.mode',
      `${promote.metric} is better when it is ${METRIC_INFO[promote.metric].mode === 'max' ? 'higher' : 'lower'}: mode must be "${METRIC_INFO[promote.metric].mode}" or left out`,
    );
  try {
    parseIsoDuration(config.cooldown);
  } catch (error) {
    if (error instanceof DurationError) throw invalidField('retrain.cooldown', error.message);
    throw error;
  }
}

/** The training-data settings of a policy, or their defaults (a manual retrain may have no policy). */
export function trainingSettings(config: RetrainConfig | undefined): { trainingWindows: number; holdoutShare: number; minLabelledRows: number } {
  return { trainingWindows: config?.trainingWindows ?? 1, holdoutShare: config?.holdoutShare ?? 0.2, minLabelledRows: config?.minLabelledRows ?? 100 };
}
