import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { EXIT, seg } from './api-client.js';
import { CliError } from './errors.js';
import { clientFor, positiveArg, positiveInt, printJson, printTable, serverCommand, type ServerFlags } from './output.js';
import { createProgressBar, tapStream } from './progress-bar.js';

interface ArtifactView {
  path: string;
  size: number;
  sha256: string;
  contentType: string;
  createdAt: string;
}

/** Files under this size transfer too fast for a bar to help. */
const BAR_THRESHOLD = 8 * 1024 * 1024;

/** Artifact paths may contain "/": each segment is escaped, the slashes kept. */
const artifactUrl = (model: string, version: number, path: string) =>
  `/models/${seg(model)}/versions/${version}/artifacts/${path.split('/').map(encodeURIComponent).join('/')}`;

/** `mlcycle artifacts push|pull|list`: bytes are streamed both ways, never held in memory. */
export function registerArtifactsCommand(program: Command): void {
  const artifacts = program.command('artifacts').description("a version's files: weights, configs, reports (server)");

  serverCommand(artifacts, 'push <model> <version> <file> [path]', 'upload a file as an artifact (path defaults to the file name)')
    .option('--content-type <type>', 'stored with the artifact', 'application/octet-stream')
    .option('--quiet', 'no progress bar')
    .action(async (model: string, version: string, file: string, path: string | undefined, flags: ServerFlags & { contentType: string; quiet?: boolean }) => {
      const v = positiveArg(version, '<version>');
      const size = await stat(file).then(
        (s) => s.size,
        () => {
          throw new CliError(`cannot read file ${file}: it does not exist or is not readable`);
        },
      );
      const target = path ?? basename(file);
      const bar = createProgressBar({ label: `uploading ${target}`, total: size, unit: 'bytes', threshold: BAR_THRESHOLD, quiet: flags.quiet });
      // Hash what is actually sent, so the server's sha256 can be checked against these bytes.
      const hash = createHash('sha256');
      const counted = tapStream((chunk) => {
        hash.update(chunk);
        bar.add(chunk.length);
      });
      createReadStream(file)
        .on('error', (e) => counted.destroy(e))
        .pipe(counted);
      let artifact: ArtifactView;
      try {
        artifact = await clientFor(flags).upload<ArtifactView>('PUT', artifactUrl(model, v, target), counted, {
          contentType: flags.contentType,
          contentLength: size,
        });
      } finally {
        bar.stop();
      }
      const local = hash.digest('hex');
      if (artifact.sha256 !== local)
        throw new CliError(`the server stored sha256 ${artifact.sha256} but the file's is ${local}: the upload was corrupted, push again`, EXIT.integrity);
      if (flags.json) return printJson(artifact);
      process.stdout.write(`pushed ${target} (${artifact.size} bytes, sha256 ${artifact.sha256}) to ${model} v${v}\n`);
    });

  serverCommand(artifacts, 'pull <model> <version> <path>', 'download an artifact, checking its sha256')
    .option('-o, --output <file>', 'where to write it (default: the artifact’s file name here)')
    .option('--quiet', 'no progress bar')
    .action(async (model: string, version: string, path: string, flags: ServerFlags & { output?: string; quiet?: boolean }) => {
      const v = positiveArg(version, '<version>');
      const api = clientFor(flags);
      const res = await api.request('GET', artifactUrl(model, v, path));
      const expected = res.headers.get('x-artifact-sha256');
      const size = Number(res.headers.get('content-length') ?? 0);
      const out = flags.output ?? basename(path);
      // A partial or corrupt download must never take the real name: write beside it, rename when verified.
      const part = join(dirname(out), `.${basename(out)}.${process.pid}.part`);
      const bar = createProgressBar({ label: `downloading ${path}`, total: size, unit: 'bytes', threshold: BAR_THRESHOLD, quiet: flags.quiet });
      const hash = createHash('sha256');
      let bytes = 0;
      try {
        const tap = tapStream((chunk) => {
          hash.update(chunk);
          bytes += chunk.length;
          bar.add(chunk.length);
        });
        await pipeline(api.nodeStream(res), tap, createWriteStream(part));
      } catch (error) {
        await rm(part, { force: true });
        throw new CliError(`download of ${path} failed after ${bytes} bytes: ${(error as Error).message}`, EXIT.failure);
      } finally {
        bar.stop();
      }
      const actual = hash.digest('hex');
      if (!expected || actual !== expected) {
        await rm(part, { force: true });
        throw new CliError(
          `sha256 mismatch for ${path}: the server announced ${expected ?? '(none)'}, the ${bytes} bytes received hash to ${actual}; nothing was written`,
          EXIT.integrity,
        );
      }
      await rename(part, out);
      if (flags.json) return printJson({ path, file: out, size: bytes, sha256: actual });
      process.stdout.write(`pulled ${path} to ${out} (${bytes} bytes, sha256 verified)\n`);
    });

  serverCommand(artifacts, 'list <model> <version>', "a version's artifacts")
    .option('--limit <n>', 'at most this many', positiveInt, 1000)
    .action(async (model: string, version: string, flags: ServerFlags & { limit: number }) => {
      const v = positiveArg(version, '<version>');
      const items = await clientFor(flags).list<ArtifactView>(`/models/${seg(model)}/versions/${v}/artifacts`, {}, flags.limit);
      if (flags.json) return printJson(items);
      printTable(
        ['path', 'size', 'sha256', 'created'],
        items.map((a) => [a.path, a.size, a.sha256, a.createdAt]),
      );
    });
}
