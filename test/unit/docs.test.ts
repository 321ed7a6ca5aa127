import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARS } from '../../src/config.js';

/** Issue 8 item 7: a clone carries its own documentation; nothing points outside the repository. */
const ROOT = resolve('.');
const DOCS = [
  'README.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f)),
];

describe('documentation', () => {
  it('links only to files inside the repository, and they exist', () => {
    for (const doc of DOCS) {
      const text = readFileSync(doc, 'utf8');
      expect(text, doc).not.toMatch(/\.\.\/shared\//);
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue; // http(s), mailto
        const path = resolve(dirname(doc), target!);
        expect(path.startsWith(ROOT), `${doc} → ${target}`).toBe(true);
        expect(existsSync(path), `${doc} → ${target}`).toBe(true);
      }
    }
  });

  it('README links the architecture document, which covers components, data placement, flows and layout', () => {
    expect(readFileSync('README.md', 'utf8')).toContain('](docs/architecture.md)');
    const arch = readFileSync('docs/architecture.md', 'utf8');
    for (const heading of ['## Components', '## Where data lives', '## Request flow', '## Job flow', '## Module layout']) expect(arch).toContain(heading);
    for (const place of ['SQLite', 'PostgreSQL', 'S3', 'BullMQ', 'Redis', 'in-process']) expect(arch).toContain(place);
  });

  it('docs/configuration.md names every environment variable src/config.ts reads, and the README stays short', () => {
    const config = readFileSync('docs/configuration.md', 'utf8');
    expect(ENV_VARS.filter((name) => !config.includes(`\`${name}\``))).toEqual([]);
    expect(readFileSync('README.md', 'utf8').split('\n').length).toBeLessThan(250);
  });
});
