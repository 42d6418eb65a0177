// File sources read only under the import directory: a task author could otherwise name any file
// the worker can read (/etc/passwd, the data directory's secret key) and see its lines in run errors.
// Symlinks are resolved first, so a link inside the directory that points out of it is refused too.
import { realpathSync, type Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { VendorError } from '../errors';

export const importDirVariable = 'SYNC_CENTER_IMPORT_DIR';

/** SYNC_CENTER_IMPORT_DIR; the CLI sets it to <data dir>/imports when it is not given (cli/config.ts). */
export function importDirFromEnv(env: Record<string, string | undefined> = process.env): string {
  const configured = env[importDirVariable]?.trim();
  return path.resolve(configured || path.join('.data', 'imports'));
}

function isInside(dir: string, candidate: string): boolean {
  const relative = path.relative(dir, candidate);
  return relative === '' ? false : !relative.startsWith('..') && !path.isAbsolute(relative);
}

function outside(dir: string): string {
  return `must be a file inside the import directory ${dir} (${importDirVariable}); symlinks out of it are refused`;
}

/** A relative path is taken from the import directory; an absolute one must lie in it. */
export function importPathOf(filePath: string, dir: string): string {
  return path.resolve(dir, filePath);
}

/**
 * Save-time check (the file may not exist yet): the path, and its deepest existing ancestor once
 * symlinks are resolved, must lie in the import directory. Returns why not, or undefined.
 */
export function importPathRefusal(filePath: string, dir: string = importDirFromEnv()): string | undefined {
  const wanted = importPathOf(filePath, dir);
  let realDir: string;
  try {
    realDir = realpathSync(dir);
  } catch {
    // The API may run where the directory is not mounted (the worker reads the file): judge the path alone.
    return isInside(dir, wanted) ? undefined : outside(dir);
  }
  if (!isInside(dir, wanted) && !isInside(realDir, wanted)) return outside(dir);
  // Walk up to what exists; a symlink on the way is judged by where it really points.
  for (let probe = wanted; ; probe = path.dirname(probe)) {
    let real: string;
    try {
      real = realpathSync(probe);
    } catch {
      if (path.dirname(probe) === probe) return outside(dir);
      continue;
    }
    // The path itself resolving to the directory is a link to it, not a file in it.
    if (real === realDir) return probe === wanted ? outside(dir) : undefined;
    return isInside(realDir, real) ? undefined : outside(dir);
  }
}

/** Read-time check, the real guard: the file's real path is a regular file inside the real import directory. */
export async function resolveImportFile(filePath: string, dir: string = importDirFromEnv()): Promise<string> {
  const refuse = (reason: string, code = 'path_not_allowed') => new VendorError('permanent', code, `settings.path: ${reason}`);
  let realDir: string;
  try {
    realDir = await realpath(dir);
  } catch {
    throw refuse(`cannot be read: the import directory ${dir} (${importDirVariable}) does not exist`, 'import_dir_missing');
  }
  const wanted = importPathOf(filePath, dir);
  if (!isInside(dir, wanted) && !isInside(realDir, wanted)) throw refuse(outside(dir));
  let real: string;
  let info: Stats;
  try {
    real = await realpath(wanted);
    info = await stat(real);
  } catch (error) {
    // Whether a file outside exists is itself information: a path that leads out gets the same answer either way.
    if (importPathRefusal(filePath, dir)) throw refuse(outside(dir));
    const code = (error as NodeJS.ErrnoException).code ?? 'read_failed';
    throw refuse(`cannot read ${filePath} (${code})`, code);
  }
  if (!isInside(realDir, real)) throw refuse(outside(dir));
  if (!info.isFile()) throw refuse(`${filePath} is not a regular file`);
  return real;
}
