import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { ArtifactStore } from '../../src/artifacts/artifact-store.js';
import type { Scope } from '../../src/auth/scopes.js';
import { loadConfig } from '../../src/config.js';
import { createContainer, type Container } from '../../src/container.js';
import { createScratchDatabase } from './db.js';
import { createBullmqQueue, type RetryOverrides } from '../../src/queue/index.js';
import { registerProcessors } from '../../workers/processors.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface TestApp {
  app: FastifyInstance;
  container: Container;
  dir: string;
  /** DATABASE_URL of the app's PostgreSQL database ('' on SQLite). */
  databaseUrl: string;
  /** inject with the admin token unless `token` says otherwise (null = no header). */
  call(opts: InjectOptions & { token?: string | null }): Promise<LightMyRequestResponse>;
  keyWith(...scopes: Scope[]): Promise<string>;
  close(): Promise<void>;
}

/**
 * A real app on a real database — a SQLite file in a fresh folder, or a fresh PostgreSQL database
 * when TEST_DIALECT=postgres — and the fs artifact store unless one is given.
 */
export async function createTestApp(
  options: {
    store?: ArtifactStore;
    env?: Record<string, string>;
    logger?: object;
    queue?: 'inline' | 'bullmq';
    consume?: boolean;
    /** The services' clock (the queue keeps real time). */
    now?: () => Date;
  } = {},
): Promise<TestApp> {
  const dir = join(process.cwd(), '.tmp', 'test', randomUUID());
  mkdirSync(dir, { recursive: true });
  const scratch = await createScratchDatabase();
  // Load shedding reacts to event-loop delay, which on a shared 2-core test machine says more about
  // the neighbours than about the app; tests that are about it turn it back on.
  const config = loadConfig({ DATA_DIR: dir, ADMIN_TOKEN, OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0', ...scratch.env, ...options.env });
  // BullMQ on the local Redis under a private prefix, so parallel test files never share jobs.
  const queue =
    options.queue === 'bullmq'
      ? ({ deploymentId, retry }: { deploymentId: string; retry: RetryOverrides }) =>
          createBullmqQueue({
            deploymentId,
            retry,
            url: options.env?.REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
            prefix: options.env?.REDIS_PREFIX ?? `t${randomUUID().slice(0, 8)}`,
            worker: { lockDuration: 5_000, stalledInterval: 2_000 },
          })
      : undefined;
  const container = await createContainer(config, {
    ...(options.store ? { store: options.store } : {}),
    ...(queue ? { queue } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  // The same processors the server and the worker register: jobs run in this process.
  if (options.consume !== false) {
    registerProcessors(container);
    await container.queue.start();
  }
  await container.apiKeys.bootstrapAdmin(config.adminToken);
  const app = await buildApp(container, options.logger ? { logger: options.logger } : {});
  await app.ready();

  const call: TestApp['call'] = ({ token, headers, ...rest }) => {
    const auth = token === null ? {} : { authorization: `Bearer ${token ?? ADMIN_TOKEN}` };
    return app.inject({ ...rest, headers: { ...auth, ...headers } });
  };
  return {
    app,
    container,
    dir,
    databaseUrl: scratch.url,
    call,
    async keyWith(...scopes) {
      const res = await call({ method: 'POST', url: '/api/v1/api-keys', payload: { name: `k-${scopes.join('-').replaceAll(':', '_')}`, scopes } });
      if (res.statusCode !== 201) throw new Error(`could not create key: ${res.body}`);
      return res.json<{ token: string }>().token;
    },
    async close() {
      await app.close();
      await container.close();
      await scratch.drop();
    },
  };
}
