import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Database } from './database.js';

/**
 * This deployment's id: a UUID written into the database the first time any process opens it,
 * and the same for every process on that database ever after. Queue job ids carry it, so a fresh
 * or restored database on a Redis prefix used before never collides with the old jobs.
 *
 * Insert-if-absent, then read: processes starting together on one fresh database race on the
 * single row's primary key, one insert wins, and all of them read the winner's id.
 */
export async function ensureDeploymentId(database: Database): Promise<string> {
  const { deployment } = database.tables;
  const read = async () => (await database.db().select().from(deployment).where(eq(deployment.singleton, 1)))[0]?.deploymentId;
  const existing = await read();
  if (existing) return existing;
  await database.transaction(async () => {
    await database.db().insert(deployment).values({ singleton: 1, deploymentId: randomUUID(), createdAt: new Date().toISOString() }).onConflictDoNothing();
  });
  const id = await read();
  if (!id) throw new Error('the deployment id could not be stored');
  return id;
}
