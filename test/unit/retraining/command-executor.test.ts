import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCommandExecutor } from '../../../src/retraining/executors/command.js';
import { killRunner } from '../../../src/retraining/executors/process-group.js';
import { alive } from '../../helpers/processes.js';
import { until } from '../../helpers/wait.js';

function setup() {
  const root = mkdtempSync(join(tmpdir(), 'mlc-exec-'));
  const ctx = (signal = new AbortController().signal, onStarted?: (r: string) => void) => ({
    jobId: 7,
    model: 'churn',
    baseVersion: 3,
    datasetDir: root,
    datasetUris: [],
    outputDir: mkdtempSync(join(root, 'out-')),
    signal,
    ...(onStarted ? { onStarted } : {}),
  });
  return { root, ctx, logFile: join(root, 'train.log') };
}

describe('command executor', () => {
  const pids: number[] = [];
  afterEach(() => {
    for (const pid of pids.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  it('runs argv without a shell, passes the MLCYCLE_* variables and not the server secrets, keeps the log', async () => {
    const { ctx, logFile } = setup();
    process.env.ADMIN_TOKEN_FOR_TEST = 'secret';
    const script =
      'import os,json; print("hello $(whoami)"); open(os.path.join(os.environ["MLCYCLE_OUTPUT_DIR"],"env.json"),"w").write(json.dumps(dict(os.environ)))';
    const c = ctx();
    const result = await createCommandExecutor({ type: 'command', command: ['python3', '-c', script], timeoutSeconds: 30 }, { logFile }).run(c);
    expect(result).toMatchObject({ ok: true });
    expect(result.logTail).toContain('hello $(whoami)'); // no shell expanded it
    const env = JSON.parse(readFileSync(join(c.outputDir, 'env.json'), 'utf8'));
    expect(env).toMatchObject({
      MLCYCLE_JOB_ID: '7',
      MLCYCLE_MODEL: 'churn',
      MLCYCLE_BASE_VERSION: '3',
      MLCYCLE_DATASET_DIR: c.datasetDir,
      MLCYCLE_OUTPUT_DIR: c.outputDir,
    });
    expect(env.ADMIN_TOKEN_FOR_TEST).toBeUndefined();
    expect(readFileSync(logFile, 'utf8')).toContain('hello');
  });

  it('fails with the reason: non-zero exit, empty output, missing program', async () => {
    const s = setup();
    const exit3 = await createCommandExecutor(
      { type: 'command', command: ['python3', '-c', 'import sys; print("boom", file=sys.stderr); sys.exit(3)'], timeoutSeconds: 30 },
      { logFile: s.logFile },
    ).run(s.ctx());
    expect(exit3).toMatchObject({ ok: false, reason: 'exited with code 3', cancelled: false });
    expect(exit3.logTail).toContain('boom');
    const empty = await createCommandExecutor({ type: 'command', command: ['true'], timeoutSeconds: 30 }, { logFile: s.logFile }).run(s.ctx());
    expect(empty).toMatchObject({ ok: false, reason: 'the trainer wrote nothing to MLCYCLE_OUTPUT_DIR' });
    const missing = await createCommandExecutor({ type: 'command', command: ['/nonexistent/trainer'], timeoutSeconds: 30 }, { logFile: s.logFile }).run(
      s.ctx(),
    );
    expect(missing).toMatchObject({ ok: false });
    expect(missing.ok === false && missing.reason).toMatch(/could not start/);
  });

  it('a timeout kills the whole process group, grandchildren included', async () => {
    const s = setup();
    const pidFile = join(s.root, 'grandchild.pid');
    // The trainer forks a grandchild that would outlive it, then hangs.
    const script = `import subprocess,time; p=subprocess.Popen(["sleep","300"]); open(${JSON.stringify(pidFile)},"w").write(str(p.pid)); time.sleep(300)`;
    const result = await createCommandExecutor({ type: 'command', command: ['python3', '-c', script], timeoutSeconds: 1 }, { logFile: s.logFile }).run(s.ctx());
    expect(result).toMatchObject({ ok: false, reason: 'timed out after 1s', cancelled: false });
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    pids.push(grandchild);
    await until('the grandchild to die', () => !alive(grandchild), { timeoutMs: 5000 });
  });

  it('a cancel kills the group; and killRunner (what a rerun after a crash calls) kills it from outside', async () => {
    const s = setup();
    const controller = new AbortController();
    let runner = '';
    const running = createCommandExecutor({ type: 'command', command: ['sleep', '300'], timeoutSeconds: 60 }, { logFile: s.logFile }).run(
      s.ctx(controller.signal, (r) => (runner = r)),
    );
    await until('the runner to be reported', () => runner !== '', { timeoutMs: 5000 });
    controller.abort();
    expect(await running).toMatchObject({ ok: false, reason: 'cancelled', cancelled: true });

    let second = '';
    const orphan = createCommandExecutor({ type: 'command', command: ['sleep', '300'], timeoutSeconds: 60 }, { logFile: s.logFile }).run(
      s.ctx(undefined, (r) => (second = r)),
    );
    await until('the second runner to be reported', () => second !== '', { timeoutMs: 5000 });
    expect(killRunner(second)).toBe(true);
    expect(await orphan).toMatchObject({ ok: false, reason: 'killed by SIGKILL' });
    expect(killRunner('some-other-host/12345')).toBe(false);
    writeFileSync(join(s.root, 'x'), '');
  });
});
