import { AppError } from '../http/errors.js';

/** Both limits are in UTF-8 bytes: that is what filesystems (NAME_MAX) and S3 (1 024-byte keys) count. */
export const MAX_PATH_BYTES = 1024;
export const MAX_SEGMENT_BYTES = 255;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Artifact paths are relative, slash-separated and boring on purpose: anything that could climb
 * out of the version's folder or mean different things to different clients is refused. Paths are
 * NFC-normalised first, so `café.bin` typed on macOS (NFD) and on Linux (NFC) is one artifact.
 * Returns the normalised path: callers must use it, not their input.
 */
export function validateArtifactPath(raw: string): string {
  const fail = (message: string) => new AppError('INVALID_ARTIFACT_PATH', `artifact path ${message}`, [{ path: 'path', message }]);
  if (raw.length === 0) throw fail('is empty');
  // Checked before normalising so a huge input costs nothing; NFC never grows a string by more than 3×.
  if (raw.length > MAX_PATH_BYTES * 3) throw fail(`is longer than ${MAX_PATH_BYTES} bytes`);
  // Lone surrogates have no UTF-8 encoding: Buffer.byteLength and the stores would silently replace them.
  if (LONE_SURROGATE.test(raw)) throw fail('is not valid Unicode');
  const path = raw.normalize('NFC');
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) throw fail(`is longer than ${MAX_PATH_BYTES} bytes (UTF-8)`);
  if (path.startsWith('/')) throw fail('must not start with "/"');
  if (path.includes('\\')) throw fail('must not contain backslashes');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) throw fail('must not contain NUL or control characters');
  for (const segment of path.split('/')) {
    if (segment === '') throw fail('must not contain empty segments or end with "/"');
    if (segment === '.' || segment === '..') throw fail('must not contain "." or ".." segments');
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) throw fail(`has a segment longer than ${MAX_SEGMENT_BYTES} bytes (UTF-8)`);
  }
  return path;
}

/** The paths that would make `path` both a file and a directory: its ancestors. */
export function ancestorsOf(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('/'));
}
