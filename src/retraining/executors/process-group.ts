import { hostname } from 'node:os';

/**
 * The trainer runs in its own process group (spawned `detached`), and is always killed as a group
 * — `process.kill(-pgid)` — so whatever it started (data loaders, shell pipelines) dies with it.
 * The group is remembered on the job as `host/pgid`: only a process on that host may kill it.
 */
export function runnerId(pgid: number): string {
  return `${hostname()}/${pgid}`;
}

/** Kills the group named by `runner` when it belongs to this host; true when a signal was sent. */
export function killRunner(runner: string | null | undefined): boolean {
  if (!runner) return false;
  const slash = runner.lastIndexOf('/');
  const host = runner.slice(0, slash);
  const pgid = Number(runner.slice(slash + 1));
  if (host !== hostname() || !Number.isInteger(pgid) || pgid <= 1) return false;
  return killGroup(pgid);
}

export function killGroup(pgid: number): boolean {
  try {
    process.kill(-pgid, 'SIGKILL');
    return true;
  } catch (error) {
    // ESRCH: the group is gone already, which is what we wanted.
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}
