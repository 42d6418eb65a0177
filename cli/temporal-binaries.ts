// Finds the Temporal binaries in docs/design.md's order: explicit env path, PATH, the project's .tools/.
// undefined means "not found here": callers then let the SDK download its own copy.
import fs from 'node:fs';
import path from 'node:path';

export const projectRoot = path.resolve(__dirname, '..');
export const projectToolsDir = path.join(projectRoot, '.tools');

export interface BinaryLookupOptions {
  env?: NodeJS.ProcessEnv;
  toolsDir?: string;
}

function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const names = process.platform === 'win32' ? [`${name}.exe`, name] : [name];
  for (const dir of dirs) {
    for (const candidate of names) {
      const file = path.join(dir, candidate);
      if (isExecutableFile(file)) return file;
    }
  }
  return undefined;
}

function findBinary(name: string, envVariable: string, options: BinaryLookupOptions): string | undefined {
  const env = options.env ?? process.env;
  const explicit = env[envVariable];
  if (explicit) {
    // A wrong explicit path is a configuration mistake: say so instead of silently falling through.
    if (!isExecutableFile(explicit)) throw new Error(`${envVariable} points to ${explicit}, which is not an executable file`);
    return path.resolve(explicit);
  }
  const onPath = findOnPath(name, env);
  if (onPath) return onPath;
  const inTools = path.join(options.toolsDir ?? projectToolsDir, name);
  return isExecutableFile(inTools) ? inTools : undefined;
}

/** The `temporal` CLI (dev server + Web UI). */
export function findTemporalCli(options: BinaryLookupOptions = {}): string | undefined {
  return findBinary('temporal', 'TEMPORAL_CLI_PATH', options);
}

/** The time-skipping `temporal-test-server`. */
export function findTemporalTestServer(options: BinaryLookupOptions = {}): string | undefined {
  return findBinary('temporal-test-server', 'TEMPORAL_TEST_SERVER_PATH', options);
}
