import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_VARS } from '../../src/config.js';

/**
 * No Docker engine runs here, so the deployment files are checked for what can go wrong without
 * one: a variable src/config.ts does not read (a typo is silently ignored at run time), a
 * service missing from the scaled layout, an image that runs as root or without a healthcheck.
 */
const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<
    string,
    { build?: string; image?: string; environment?: Record<string, string>; command?: string[]; deploy?: { replicas?: number }; ports?: string[] }
  >;
};
const ours = Object.entries(compose.services).filter(([, s]) => s.build === '.');

describe('docker-compose.yml', () => {
  it('has the scaled layout: two API replicas, two workers, PostgreSQL, Redis and MinIO with its bucket', () => {
    const names = Object.keys(compose.services);
    expect(names).toEqual(expect.arrayContaining(['postgres', 'redis', 'minio', 'minio-bucket']));
    expect(ours.filter(([, s]) => !s.command)).toHaveLength(2);
    const worker = ours.find(([, s]) => s.command?.includes('dist/workers/index.js'));
    expect(worker?.[1].deploy?.replicas).toBe(2);
  });

  it('publishes one port, 8080, through a load balancer over both API replicas', () => {
    const published = Object.entries(compose.services).flatMap(([name, s]) => (s.ports ?? []).map((p) => `${name} ${p}`));
    expect(published).toEqual(['lb 8080:8080']);
    const nginx = readFileSync('deploy/nginx.conf', 'utf8');
    for (const [name] of ours.filter(([, s]) => !s.command)) expect(nginx).toContain(`server ${name}:8080;`);
    expect(nginx).toMatch(/proxy_request_buffering off;/);
  });

  it("the runtime image can run the README's command trainer: python3 and examples/ are in it", () => {
    const runtime = readFileSync('Dockerfile', 'utf8')
      .split(/^FROM /m)
      .at(-1)!;
    expect(runtime).toMatch(/apt-get install[^\n]*python3/);
    expect(runtime).toContain('COPY --from=build /app/examples ./examples');
  });

  it('sets only variables that src/config.ts reads, and the scaled ones on every mlcycle service', () => {
    const known = new Set<string>(ENV_VARS);
    for (const [name, service] of ours) {
      const keys = Object.keys(service.environment ?? {});
      expect(
        keys.filter((k) => !known.has(k)),
        `unknown variables in ${name}`,
      ).toEqual([]);
      expect(keys).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL', 'S3_BUCKET', 'S3_ENDPOINT', 'ADMIN_TOKEN']));
    }
  });

  it('is valid for `docker compose config` where the Compose client exists', () => {
    const probe = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
    if (probe.status !== 0) return; // no Compose client here: the structural checks above stand in
    const run = spawnSync('docker', ['compose', '-f', 'docker-compose.yml', 'config', '--quiet'], {
      encoding: 'utf8',
      env: { ...process.env, ADMIN_TOKEN: 'compose-check-token-0123456789' },
    });
    expect(run.status, run.stderr).toBe(0);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  it('runs compiled JavaScript as a non-root user, with a healthcheck', () => {
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n?.*healthz/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/src\/server\.js"\]$/m);
    expect(dockerfile).toMatch(/npm run build/);
  });
});

describe('.dockerignore', () => {
  it('keeps host dependencies, scratch space and the data folder (admin token, SQLite) out of the build context', () => {
    const ignored = readFileSync('.dockerignore', 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.tmp', 'data', '.git']));
  });
});
