import { randomUUID } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { access, mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  ArtifactNotFoundError,
  ArtifactStoreUnavailableError,
  HashingPassThrough,
  InvalidArtifactKeyError,
  assertSafeKey,
  type ArtifactStore,
  type ListedObject,
  type StoredObject,
} from './artifact-store.js';

export interface FsArtifactStoreOptions {
  root: string;
}

/**
 * Temp files live inside the root, not in os.tmpdir(), because rename(2) is only atomic (and only
 * works at all) within one filesystem. The name cannot collide with a valid key's first segment
 * used by the registry (`models/…`), and keys starting with it are rejected below anyway.
 */
const TMP_DIR = '.tmp';
/** Artifacts are private to the service's user: files 0600, directories 0700. */
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

export function createFsArtifactStore({ root }: FsArtifactStoreOptions): ArtifactStore {
  const rootAbs = resolve(root);
  const tmpDir = join(rootAbs, TMP_DIR);

  /** Maps a key to its absolute path, refusing anything that would land outside the root. */
  function pathFor(key: string): string {
    assertSafeKey(key);
    const target = resolve(rootAbs, ...key.split('/'));
    const rel = relative(rootAbs, target);
    // Second line of defence after assertSafeKey: catches whatever path semantics we did not foresee.
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
      throw new InvalidArtifactKeyError(key, 'escapes the store root');
    }
    if (rel === TMP_DIR || rel.startsWith(TMP_DIR + sep)) {
      throw new InvalidArtifactKeyError(key, `"${TMP_DIR}" is reserved for in-flight uploads`);
    }
    return target;
  }

  return {
    kind: 'fs',

    async put(key, body, opts): Promise<StoredObject> {
      const target = pathFor(key);
      await mkdir(tmpDir, { recursive: true, mode: DIR_MODE });
      await mkdir(dirname(target), { recursive: true, mode: DIR_MODE });
      const tmp = join(tmpDir, randomUUID());
      const hasher = new HashingPassThrough();
      try {
        await pipeline(body, hasher, createWriteStream(tmp, { flags: 'wx', mode: FILE_MODE }), ...(opts?.signal ? [{ signal: opts.signal }] : []));
        // fsync before rename so a crash cannot leave a renamed-but-empty file under a real key.
        // (Reopening is fine: fsync flushes the inode, whichever descriptor asks. The stream's
        // `flush` option would do it in one step but needs Node >= 20.10.)
        const fh = await open(tmp, 'r+');
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, target);
        return hasher.result();
      } catch (err) {
        await rm(tmp, { force: true }).catch(() => undefined);
        throw err;
      }
    },

    async get(key) {
      const path = pathFor(key);
      let fh;
      try {
        fh = await open(path, 'r');
      } catch (err) {
        if (isMissing(err)) throw new ArtifactNotFoundError(key, { cause: err });
        throw err;
      }
      // Size comes from the open handle: a concurrent overwrite renames a new inode into place,
      // so this handle keeps reading the old object and its size stays consistent with the bytes.
      const st = await fh.stat();
      if (!st.isFile()) {
        await fh.close();
        throw new ArtifactNotFoundError(key);
      }
      return { body: fh.createReadStream(), size: st.size };
    },

    async exists(key) {
      const path = pathFor(key);
      try {
        return (await stat(path)).isFile();
      } catch (err) {
        if (isMissing(err)) return false;
        throw err;
      }
    },

    async delete(key) {
      const path = pathFor(key);
      try {
        await unlink(path);
      } catch (err) {
        if (isMissing(err)) return;
        // EISDIR (Linux) / EPERM (macOS): the key names a directory prefix, not an object, so there
        // is nothing to delete. A genuine permission error on a file still surfaces.
        if (isDirectoryError(err) && (await stat(path).catch(() => undefined))?.isDirectory()) return;
        throw err;
      }
      // Empty parent directories are left behind on purpose: pruning them would race a concurrent
      // put that has created the directory but not yet renamed its file into it.
    },

    async *list(prefix) {
      // Walks the folder holding the prefix; objects are files, never the temp folder.
      const slash = prefix.lastIndexOf('/');
      const base = slash < 0 ? '' : prefix.slice(0, slash);
      const startDir = base === '' ? rootAbs : pathFor(base);
      yield* walk(startDir, base, prefix);
    },

    async sweepIncomplete(olderThan) {
      let removed = 0;
      const entries = await readdir(tmpDir, { withFileTypes: true }).catch((err: unknown) => {
        if (isMissing(err)) return [];
        throw err;
      });
      for (const entry of entries) {
        const file = join(tmpDir, entry.name);
        const st = await stat(file).catch(() => undefined);
        if (!st || st.mtime >= olderThan) continue;
        await rm(file, { force: true, recursive: true });
        removed++;
      }
      return removed;
    },

    async ping() {
      try {
        await mkdir(rootAbs, { recursive: true });
        // access(W_OK) also reports EROFS for a read-only mount.
        await access(rootAbs, constants.R_OK | constants.W_OK);
      } catch (err) {
        throw new ArtifactStoreUnavailableError(`artifact root ${rootAbs} is not readable and writable`, {
          cause: err,
        });
      }
    },
  };
}

async function* walk(dir: string, keyBase: string, prefix: string): AsyncGenerator<ListedObject> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: unknown) => {
    if (isMissing(err)) return [];
    throw err;
  });
  for (const entry of entries) {
    const key = keyBase === '' ? entry.name : `${keyBase}/${entry.name}`;
    if (key === TMP_DIR) continue;
    if (entry.isDirectory()) {
      if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield* walk(join(dir, entry.name), key, prefix);
    } else if (entry.isFile() && key.startsWith(prefix)) {
      const st = await stat(join(dir, entry.name)).catch(() => undefined);
      if (st) yield { key, lastModified: st.mtime };
    }
  }
}

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

/** ENOTDIR: a parent "directory" in the key is actually an object file. */
function isMissing(err: unknown): boolean {
  const code = errCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function isDirectoryError(err: unknown): boolean {
  const code = errCode(err);
  return code === 'EISDIR' || code === 'EPERM';
}
