import { buildApp } from './app.js';
import { createArtifactSweeper } from './artifacts/sweep.js';
import { MLFLOW_KEY_PREFIX } from './mlflow/artifacts.service.js';
import { bootstrapAdminKey, ensurePrivateDir } from './bootstrap.js';
import { ConfigError, loadConfig } from './config.js';
import { createContainer } from './container.js';
import { startSweepTicker } from './monitoring/maintenance.js';
import { keepServingOnUnhandledRejection } from './queue/job-context.js';
import { registerProcessors } from '../workers/processors.js';
import { DatabaseConnectError } from './db/postgres.js';
import { ARTIFACT_KEY_PREFIX } from './registry/artifacts.service.js';

/** config → container → app → listen; SIGTERM/SIGINT stop accepting, finish in-flight requests, close the database. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
    ensurePrivateDir(config.dataDir);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`mlcycle: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const log = (msg: string, error?: unknown) =>
    process.stderr.write(`mlcycle: ${msg}${error ? `: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}` : ''}\n`);
  keepServingOnUnhandledRejection(log);
  let container;
  try {
    container = await createContainer(config, { log });
  } catch (error) {
    if (error instanceof DatabaseConnectError) {
      process.stderr.write(`mlcycle: ${error.message}\n`);
      process.exit(69); // EX_UNAVAILABLE
    }
    throw error;
  }
  const app = await buildApp(container, { logger: { level: config.logLevel } });
  await bootstrapAdminKey(container, (msg) => app.log.warn(msg));
  // Collects temp files, unfinished multipart uploads and unreferenced objects that crashes and
  // failed overwrites left behind: now (in the background) and every ARTIFACT_SWEEP_INTERVAL_MS.
  const sweeper = createArtifactSweeper({
    store: container.store,
    prefix: ARTIFACT_KEY_PREFIX,
    referencedKeys: () => container.artifacts.referencedStorageKeys(),
    graceMs: config.sweep.graceMs,
    intervalMs: config.sweep.intervalMs,
    log: app.log,
  });
  // The MLflow artifacts' objects (under mlflow/), against the rows of mlflow_artifacts.
  const mlflowSweeper = createArtifactSweeper({
    store: container.store,
    prefix: MLFLOW_KEY_PREFIX,
    referencedKeys: () => container.mlflow.artifacts.referencedStorageKeys(),
    graceMs: config.sweep.graceMs,
    intervalMs: config.sweep.intervalMs,
    log: app.log,
  });
  sweeper.start();
  mlflowSweeper.start();
  // Without Redis the API process runs the drift jobs itself (in-process queue); with Redis it
  // only produces and `npm run worker` processes consume.
  if (!config.redisUrl) {
    registerProcessors(container);
    await container.queue.start();
  }
  const stopTicker = startSweepTicker(container.queue, config.monitoring.outboxSweepIntervalMs);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: draining in-flight requests');
    const timer = setTimeout(() => {
      app.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    try {
      await app.close(); // stops accepting, waits for in-flight requests
      await sweeper.stop();
      await mlflowSweeper.stop();
      stopTicker();
      await container.close();
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ host: config.host, port: config.port });
}

main().catch((error: unknown) => {
  process.stderr.write(`mlcycle: failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
