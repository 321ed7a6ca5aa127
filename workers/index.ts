import { ConfigError, loadConfig } from '../src/config.js';
import { createContainer } from '../src/container.js';

/**
 * Worker process entry (`npm run worker`). It shares the container with the API. No job is
 * defined yet: the drift and retrain processors arrive with the monitoring and retraining work,
 * registered from src/queue/. Until then the worker checks its configuration and database and
 * exits, so a deployment that already runs it fails loudly on bad config rather than idling.
 */
try {
  const container = await createContainer(loadConfig());
  process.stdout.write('mlcycle worker: configuration and database OK; no job processors are defined yet, exiting\n');
  await container.close();
} catch (error) {
  process.stderr.write(`mlcycle worker: ${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 78 : 1);
}
