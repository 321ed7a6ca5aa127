import { createBullmqQueue, type BullmqQueueConfig } from './bullmq-queue.js';
import { createInlineQueue, type InlineQueueConfig } from './inline-queue.js';
import type { JobQueue } from './job-queue.js';

export * from './jobs.js';
export * from './job-queue.js';
export { createBullmqQueue, type BullmqQueueConfig } from './bullmq-queue.js';
export { createInlineQueue, type InlineQueue, type InlineQueueConfig } from './inline-queue.js';

/** REDIS_URL set → BullMQ (scaled mode); otherwise the in-process queue (embedded mode). */
export function createJobQueue(options: { redisUrl?: string } & Omit<BullmqQueueConfig, 'url'> & InlineQueueConfig): JobQueue {
  const { redisUrl, ...rest } = options;
  return redisUrl ? createBullmqQueue({ ...rest, url: redisUrl }) : createInlineQueue(rest);
}
