import { AppError } from '../http/errors.js';

const MAX_PATH_LENGTH = 1024;

/**
 * Artifact paths are relative, slash-separated and boring on purpose: they become object keys
 * and file paths, so anything that could climb out of the version's folder or mean different
 * things to different stores is refused.
 */
export function validateArtifactPath(path: string): string {
  const fail = (message: string) => new AppError('INVALID_ARTIFACT_PATH', `artifact path ${message}`, [{ path: 'path', message }]);
  if (path.length === 0) throw fail('is empty');
  if (path.length > MAX_PATH_LENGTH) throw fail(`is longer than ${MAX_PATH_LENGTH} characters`);
  if (path.startsWith('/')) throw fail('must not start with "/"');
  if (path.includes('\\')) throw fail('must not contain backslashes');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) throw fail('must not contain NUL or control characters');
  for (const segment of path.split('/')) {
    if (segment === '') throw fail('must not contain empty segments or end with "/"');
    if (segment === '.' || segment === '..') throw fail('must not contain "." or ".." segments');
  }
  return path;
}
