import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Layers point down: no file of src/ reaches itself through its imports (type-only imports
 * count: they couple modules just the same). Issue 8 item 10: auth/api-keys.service imported
 * events/, and events/events.service imported the Actor type back from auth/.
 */
const SRC = resolve('src');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/g;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function graph(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const file of files(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(IMPORT)].map((m) => resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
    edges.set(file, targets);
  }
  return edges;
}

function cycles(edges: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next].map((f) => relative(SRC, f)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of edges.keys()) if (!state.has(node)) visit(node);
  return found;
}

describe('src/ import graph', () => {
  it('has no cycles', () => {
    expect(cycles(graph())).toEqual([]);
  });

  it('events/ does not import auth/ (Actor lives in src/actor.ts)', () => {
    const fromEvents = [...graph()].filter(([file]) => relative(SRC, file).startsWith('events/')).flatMap(([, targets]) => targets);
    expect(fromEvents.map((f) => relative(SRC, f)).filter((f) => f.startsWith('auth/'))).toEqual([]);
  });
});
