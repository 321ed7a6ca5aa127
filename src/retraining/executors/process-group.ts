import { readFileSync } from 'node:fs';
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

/** The host part of a `host/…` id (runner or lease owner); hostnames never contain '/'. */
export function hostOf(id: string): string {
  return id.slice(0, id.indexOf('/'));
}

/**
 * True unless process `pid` of this host is certainly gone: no such process, or a zombie nobody
 * reaped yet (it runs nothing). EPERM means it exists under another user: alive.
 */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // Linux: the state follows the parenthesised command name in /proc/<pid>/stat.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no procfs (macOS): signal 0 answered, take it as alive
  }
}
