import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServerProcess, startServerProcess } from '../helpers/server-process.js';

/**
 * The README's five-minute walkthrough, run verbatim with bash and curl against a real server on
 * its embedded defaults: only the port, the data directory and the uploaded file's path change.
 */
let server: ServerProcess | undefined;
afterEach(() => {
  server?.child.kill('SIGKILL');
  server = undefined;
});

describe('README walkthrough', () => {
  it('runs from start to finish: a drifted report, its timeline, then two cycles of drift → retrain → promotion', async () => {
    const dir = join(process.cwd(), '.tmp', 'test', `readme-${randomUUID()}`);
    mkdirSync(dir, { recursive: true });
    server = await startServerProcess({ DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'warn' });
    const readme = readFileSync('README.md', 'utf8');
    const block = (heading: string) => {
      const section = readme.slice(readme.indexOf(heading));
      const start = section.indexOf('```sh') + 5;
      return section.slice(start, section.indexOf('```', start));
    };
    // The walkthrough, then "Closing the loop", which continues it in the same shell.
    let script = block('## A five-minute walkthrough with curl') + block('## Closing the loop: retrain on drift');
    expect(script).toContain('/samples');
    script = script
      .replace(/^npm start .*&.*$/m, '')
      .replaceAll('cat data/admin-token', `cat ${join(dir, 'data', 'admin-token')}`)
      .replaceAll('http://127.0.0.1:8080', server.base)
      .replaceAll('@package.json', `@${join(process.cwd(), 'package.json')}`);
    writeFileSync(join(dir, 'walk.sh'), `set -euo pipefail\n${script}`);
    const run = spawnSync('bash', [join(dir, 'walk.sh')], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const out = run.stdout;
    expect(out).toContain('"version":2');
    expect(out).toContain('"windowsCompleted":1');
    expect(out).toMatch(/"status":"done","sampleCount":5,"datasetDrift":true/);
    expect(out).toContain('"points":[{"reportId":1');
    expect(out).toContain('{"accepted":2,"matched":["r1","r2"],"unmatched":[],"reportsUpdated":[1]}');
    expect(out).toMatch(/"status":"succeeded"/);
    // Two cycles: v2 then v3 promoted, each on mlcycle's own holdout evaluation.
    expect(out).toMatch(/"baseVersion":1,[\s\S]*?"resultVersion":2,"evaluation":\{[^}]*"decision":"promoted"/);
    expect(out).toMatch(/"baseVersion":2,[\s\S]*?"resultVersion":3,"evaluation":\{[^}]*"decision":"promoted"/);
    expect(out).toMatch(/"model":"fraud","version":2/);
    expect(out).toMatch(/"model":"fraud","version":3/);
    expect(out).toMatch(/"reference":\{"rows":\d+,"source":"training-data"/);
    expect(out).not.toMatch(/"status":[45]\d\d/); // no problem+json anywhere in the run
  });
});
