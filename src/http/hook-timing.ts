import type { FastifyInstance } from 'fastify';

/**
 * Per-hook cost, for bench/registry: when buildApp is given a HookTimings, every onRequest,
 * onSend and onResponse hook (global ones and those attached to routes) is timed from its call
 * until it finishes (its `done` or its promise). Off by default: then nothing is wrapped.
 */
export interface HookTimings {
  readonly totals: Map<string, { calls: number; ms: number }>;
}

export function createHookTimings(): HookTimings {
  return { totals: new Map() };
}

const TIMED = new Set(['onRequest', 'onSend', 'onResponse', 'preHandler']);
type AnyHook = (this: unknown, ...args: unknown[]) => unknown;

function timed(timings: HookTimings, name: string, fn: AnyHook): AnyHook {
  const record = (started: number) => {
    const entry = timings.totals.get(name) ?? { calls: 0, ms: 0 };
    entry.calls++;
    entry.ms += performance.now() - started;
    timings.totals.set(name, entry);
  };
  // Arity kept (Fastify tells async hooks from callback ones by their shape): the last argument is `done`.
  return function (this: unknown, ...args: unknown[]) {
    const started = performance.now();
    const done = args[args.length - 1] as (...a: unknown[]) => void;
    args[args.length - 1] = (...a: unknown[]) => {
      record(started);
      done(...a);
    };
    const result = fn.apply(this, args) as Promise<unknown> | undefined;
    if (result && typeof result.then === 'function') {
      return result.then(
        (v) => {
          record(started);
          return v;
        },
        (e: unknown) => {
          record(started);
          throw e;
        },
      );
    }
    return result;
  };
}

/** The hook's name, or for an anonymous one (a plugin's) the file that added it. */
function labelOf(hook: string, fn: AnyHook, i: number): string {
  if (fn.name) return `${hook} ${fn.name}`;
  const caller = (new Error().stack ?? '').split('\n').find((l, n) => n > 1 && !l.includes('hook-timing') && !l.includes('node_modules/fastify/'));
  const where = /node_modules\/((?:@[^/]+\/)?[^/]+)|([^/\\(]+\.[jt]s):\d+/.exec(caller ?? '');
  return `${hook} ${where ? (where[1] ?? where[2]) : `#${i}`}`;
}

/** Call before any hook is added: wraps app.addHook, and route-level hooks as routes are declared. */
export function instrumentHooks(app: FastifyInstance, timings: HookTimings): void {
  // Encapsulated plugins inherit this from the root instance: `this` is the plugin's instance,
  // so a plugin's hook stays in its scope.
  const addHook = app.addHook as unknown as (this: FastifyInstance, name: string, fn: AnyHook) => FastifyInstance;
  let n = 0;
  (app as unknown as { addHook: unknown }).addHook = function (this: FastifyInstance, name: string, fn: AnyHook) {
    return addHook.call(this, name, TIMED.has(name) ? timed(timings, labelOf(name, fn, n++), fn) : fn);
  };
}

/** Registered after every other onRoute hook (so it sees the auth guard): times route-level hooks. */
export function instrumentRouteHooks(app: FastifyInstance, timings: HookTimings): void {
  app.addHook('onRoute', (route) => {
    for (const name of TIMED) {
      const key = name as 'onRequest';
      const hooks = route[key];
      if (!hooks) continue;
      const list = (Array.isArray(hooks) ? hooks : [hooks]) as unknown as AnyHook[];
      route[key] = list.map((fn, i) => timed(timings, `route ${labelOf(name, fn, i)}`, fn)) as never;
    }
  });
}

export function formatHookTimings(timings: HookTimings, requests: number): string[] {
  return [...timings.totals]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([name, t]) => `${name.padEnd(44)} ${((t.ms * 1000) / Math.max(1, requests)).toFixed(2).padStart(8)} µs/request  (${t.calls} calls)`);
}
