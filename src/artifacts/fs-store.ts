import { randomUUID } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { access, mkdir, open, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  ArtifactNotFoundError,
  ArtifactStoreUnavailableError,
  HashingPassThrough,
  InvalidArtifactKeyError,
  assertSafeKey,
  type ArtifactStore,
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

    async put(key, body, _opts): Promise<StoredObject> {
      const target = pathFor(key);
      await mkdir(tmpDir, { recursive: true });
      await mkdir(dirname(target), { recursive: true });
      const tmp = join(tmpDir, randomUUID());
      const hasher = new HashingPassThrough();
      try {
        await pipeline(body, hasher, createWriteStream(tmp, { flags: 'wx', mode: 0o644 }));
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
