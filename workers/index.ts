import { ConfigError, loadConfig } from '../src/config.js';
import { createContainer } from '../src/container.js';
import { startMetricsServer } from '../src/metrics/metrics-server.js';
import { startSweepTicker } from '../src/monitoring/maintenance.js';
import { keepServingOnUnhandledRejection } from '../src/queue/job-context.js';
import { registerProcessors } from './processors.js';

/**
 * Worker process entry (`npm run worker`): consumes the BullMQ queues on REDIS_URL with the same
 * container and processors as the API's in-process mode. Without REDIS_URL there is nothing to
 * consume (the API runs its jobs itself), so it says so and exits rather than idling. SIGTERM
 * stops taking jobs and waits for the running ones (BullMQ re-runs any it must abandon).
 */
let config;
try {
  config = loadConfig();
} catch (error) {
  process.stderr.write(`mlcycle worker: ${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 78 : 1);
}
if (!config.redisUrl) {
  process.stdout.write('mlcycle worker: REDIS_URL is not set, so the API process runs the jobs itself (in-process queue); nothing to do\n');
  process.exit(0);
}
const log = (message: string, error?: unknown) =>
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), msg: message, ...(error ? { err: String((error as Error)?.stack ?? error) } : {}) })}\n`,
  );
keepServingOnUnhandledRejection(log);
const container = await createContainer(config, { log });
registerProcessors(container);
await container.queue.start();
const stopTicker = startSweepTicker(container.queue, config.monitoring.outboxSweepIntervalMs);
// Drift job durations are measured where the jobs run: here, in scaled mode.
const metricsServer =
  config.monitoring.workerMetricsPort > 0 ? await startMetricsServer(container.metrics, config.monitoring.workerMetricsPort, config.host) : undefined;
if (metricsServer) log(`mlcycle worker: Prometheus metrics on http://${config.host}:${config.monitoring.workerMetricsPort}/metrics`);
log(`mlcycle worker: consuming drift, retrain, webhook and maintenance jobs (concurrency ${config.monitoring.workerConcurrency})`);

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log(`mlcycle worker: ${signal}, finishing running jobs`);
  stopTicker();
  metricsServer?.close();
  await container.close();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
