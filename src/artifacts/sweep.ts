import type { ArtifactStore } from './artifact-store.js';

export interface SweepResult {
  incomplete: number;
  orphans: number;
}

export interface ArtifactSweeperDeps {
  store: ArtifactStore;
  /** Key prefix the sweeper owns; objects elsewhere in the store are never touched. */
  prefix: string;
  /** Every key a database row points at. Read after listing, so a commit racing the listing is seen. */
  referencedKeys: () => Promise<Set<string>>;
  /**
   * Only objects and temp files older than this are removed: younger ones may belong to an upload
   * in flight in this or another process (an object is written before its row is committed).
   */
  graceMs: number;
  intervalMs: number;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  now?: () => Date;
}

/**
 * Collects what crashes and failed requests leave behind: temp files / multipart uploads of
 * interrupted uploads, and objects no row references (an overwrite killed between writing the
 * new object and deleting the old one). Runs at start and every `intervalMs`.
 */
export function createArtifactSweeper(deps: ArtifactSweeperDeps) {
  const { store, prefix, referencedKeys, graceMs, intervalMs, log } = deps;
  const now = deps.now ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<SweepResult> | undefined;

  async function sweepOnce(): Promise<SweepResult> {
    const cutoff = new Date(now().getTime() - graceMs);
    let incomplete = 0;
    try {
      incomplete = await store.sweepIncomplete(cutoff);
    } catch (err) {
      // Some S3-compatible servers (s3rver) do not implement multipart listing; GC still runs.
      log.warn({ err }, 'could not sweep incomplete uploads');
    }
    const candidates: string[] = [];
    for await (const object of store.list(prefix)) if (object.lastModified < cutoff) candidates.push(object.key);
    let orphans = 0;
    if (candidates.length > 0) {
      const referenced = await referencedKeys();
      for (const key of candidates) {
        if (referenced.has(key)) continue;
        await store.delete(key);
        orphans++;
      }
    }
    if (incomplete + orphans > 0) log.info({ incomplete, orphans }, 'swept artifact store');
    return { incomplete, orphans };
  }

  /** One sweep at a time; a caller arriving during a sweep shares its result. */
  function sweep(): Promise<SweepResult> {
    running ??= sweepOnce().finally(() => {
      running = undefined;
    });
    return running;
  }

  const sweepLogged = () => void sweep().catch((err: unknown) => log.warn({ err }, 'artifact sweep failed; retrying at the next interval'));

  return {
    sweep,
    start(): void {
      sweepLogged();
      timer = setInterval(sweepLogged, intervalMs);
      timer.unref();
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
export type ArtifactSweeper = ReturnType<typeof createArtifactSweeper>;
