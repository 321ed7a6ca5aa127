import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { CliError } from './errors.js';

/**
 * Exit codes of the server commands (docs/cli.md). Distinct codes let a deploy script tell
 * "the server said no" from "the server is down" without parsing stderr.
 */
export const EXIT = {
  failure: 1,
  usage: 2,
  unreachable: 3,
  rejected: 4,
  auth: 5,
  notFound: 6,
  integrity: 7,
} as const;

/** The server's error body (application/problem+json). */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code?: string;
  errors?: { path: string; message: string }[];
}

export interface ServerOptions {
  url?: string;
  token?: string;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  /** Raw bytes or a Node stream (sent chunked, never buffered). */
  body?: Uint8Array | Readable;
  contentType?: string;
  headers?: Record<string, string>;
}

const exitFor = (status: number): number =>
  status === 401 || status === 403 ? EXIT.auth : status === 404 ? EXIT.notFound : status >= 400 && status < 500 ? EXIT.rejected : EXIT.failure;

/** "VALIDATION_FAILED (400): body/features must …\n  features/0/type: must be …" */
export function formatProblem(problem: Problem): string {
  const head = `${problem.code ?? 'HTTP_ERROR'} (${problem.status})${problem.detail ? `: ${problem.detail}` : problem.title ? `: ${problem.title}` : ''}`;
  // The detail often repeats a lone field error word for word: list only what it does not say.
  const fields = (problem.errors ?? [])
    .map((e) => `${e.path || '(body)'}: ${e.message}`)
    .filter((line) => !problem.detail?.includes(line))
    .map((line) => `\n  ${line}`)
    .join('');
  return `${head}${fields}`;
}

/** An error answer from the server, carrying its problem detail. */
export class ApiError extends CliError {
  constructor(readonly problem: Problem) {
    super(`server refused the request: ${formatProblem(problem)}`, exitFor(problem.status));
    this.name = 'ApiError';
  }
}

async function problemOf(res: Response): Promise<Problem> {
  const text = await res.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as Partial<Problem>;
    if (parsed && typeof parsed === 'object') return { ...parsed, status: res.status };
  } catch {
    // Not JSON: a proxy's HTML page, say. Show its first line rather than nothing.
  }
  return { status: res.status, title: res.statusText, detail: text.split('\n', 1)[0]?.slice(0, 300) || res.statusText };
}

/** Builds the client for one command run: base URL and token from flags, else MLCYCLE_URL / MLCYCLE_TOKEN. */
export function createApiClient(options: ServerOptions, env: NodeJS.ProcessEnv = process.env) {
  const rawUrl = options.url ?? env.MLCYCLE_URL ?? 'http://127.0.0.1:8080';
  let base: URL;
  try {
    base = new URL(rawUrl);
  } catch {
    throw new CliError(`--url / MLCYCLE_URL is not a URL: "${rawUrl}"`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new CliError(`--url / MLCYCLE_URL must be http(s), got "${rawUrl}"`);
  const root = base.href.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
  const token = options.token ?? env.MLCYCLE_TOKEN;

  function urlOf(path: string, query?: RequestOptions['query']): string {
    const url = new URL(`${root}/api/v1${path}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.href;
  }

  /** Any status; throws only when the server cannot be reached. */
  async function send(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    let body: RequestInit['body'];
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.body instanceof Readable) {
      headers['content-type'] = opts.contentType ?? 'application/octet-stream';
      body = Readable.toWeb(opts.body) as unknown as ReadableStream<Uint8Array>;
    } else if (opts.body) {
      headers['content-type'] = opts.contentType ?? 'application/octet-stream';
      body = opts.body;
    }
    try {
      // duplex: 'half' is what undici needs to send a stream body.
      return await fetch(urlOf(path, opts.query), { method, headers, body, duplex: 'half' } as RequestInit);
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw unreachable(cause?.code ?? cause?.message ?? (error as Error).message);
    }
  }

  const unreachable = (why: string) =>
    new CliError(`cannot reach the mlcycle server at ${root} (${why}); check --url or MLCYCLE_URL and that the server is running`, EXIT.unreachable);

  /**
   * A streamed upload over node:http rather than fetch: fetch reads a stream body ahead of the
   * socket (a 300 MB file took 460 MB of memory), node:http's pipeline waits for 'drain'.
   * Resolves with the parsed JSON answer, or throws the server's problem detail.
   */
  function upload<T>(
    method: string,
    path: string,
    body: Readable,
    opts: { contentType: string; contentLength?: number; headers?: Record<string, string> },
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', 'content-type': opts.contentType, ...opts.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    if (opts.contentLength !== undefined) headers['content-length'] = String(opts.contentLength);
    const url = new URL(urlOf(path));
    return new Promise<T>((resolve, reject) => {
      let answered = false;
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method, headers }, (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          // An early answer (401, 404, 413) while the body is still going out: the server will
          // not read the rest, and the socket would hold the process open until its timeout.
          if (!req.writableFinished) {
            body.destroy();
            req.destroy();
          }
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            try {
              resolve(JSON.parse(text) as T);
            } catch {
              reject(new CliError(`the server answered ${status} with a body that is not JSON`, EXIT.failure));
            }
            return;
          }
          const fake = new Response(text, { status, statusText: res.statusMessage });
          problemOf(fake).then((p) => reject(new ApiError(p)), reject);
        });
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (answered) return; // the server answered early (say 401) and closed: the answer wins
        const code = error.code ?? error.message;
        reject(
          ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)
            ? unreachable(code)
            : new CliError(`the upload failed: ${code}`, EXIT.failure),
        );
      });
      // The request's own error (above) reports failures; a read error of the file ends it too.
      pipeline(body, req).catch((error: Error) => {
        if (!answered) req.destroy(error);
      });
    });
  }

  /** A 2xx answer, else an ApiError with the server's problem detail. */
  async function request(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const res = await send(method, path, opts);
    if (!res.ok) throw new ApiError(await problemOf(res));
    return res;
  }

  async function json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await request(method, path, opts);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  return {
    root,
    send,
    request,
    upload,
    json,
    get: <T>(path: string, query?: RequestOptions['query']) => json<T>('GET', path, { query }),
    /** Every item of a cursor-paginated list, following nextCursor up to `max` items. */
    async list<T>(path: string, query: RequestOptions['query'] = {}, max = Number.POSITIVE_INFINITY): Promise<T[]> {
      const items: T[] = [];
      let cursor: string | undefined;
      do {
        const page = await json<{ items: T[]; nextCursor: string | null }>('GET', path, {
          query: { ...query, limit: Math.min(500, max - items.length), cursor },
        });
        items.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor && items.length < max);
      return items;
    },
    /** A response body as a Node stream (for downloads). */
    nodeStream: (res: Response): Readable => Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>),
  };
}
export type ApiClient = ReturnType<typeof createApiClient>;

/** Path segments are user input (model names are restricted, artifact paths are not). */
export const seg = (value: string | number): string => encodeURIComponent(String(value));
