/**
 * Whether process `pid` still exists (signal 0), for tests that check a trainer or a child was
 * killed. Deliberately independent of the service's own `processAlive`, which it checks: an
 * unreaped zombie counts as alive here, so "dead" means really gone.
 */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
