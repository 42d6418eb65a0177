// A small flag parser: `--name value` or `--name=value`; every error names the flag.
export class UsageError extends Error {
  override name = 'UsageError';
}

export type FlagSpec = Record<string, { description: string; required?: boolean; kind?: 'string' | 'port' }>;
export type ParsedFlags<S extends FlagSpec> = { [K in keyof S]?: S[K]['kind'] extends 'port' ? number : string };

export function parseFlags<S extends FlagSpec>(command: string, argv: string[], spec: S): ParsedFlags<S> {
  const raw: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`${command}: unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (!(name in spec)) {
      const known = Object.keys(spec).map((flag) => `--${flag}`).join(', ') || 'none';
      throw new UsageError(`${command}: unknown flag --${name} (known: ${known})`);
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${command}: --${name} needs a value`);
      i++;
    }
    if (name in raw) throw new UsageError(`${command}: --${name} given twice`);
    raw[name] = value;
  }

  const result: Record<string, string | number> = {};
  for (const [name, flag] of Object.entries(spec)) {
    const value = raw[name];
    if (value === undefined || value === '') {
      if (flag.required) throw new UsageError(`${command}: --${name} is required (${flag.description})`);
      continue;
    }
    if (flag.kind === 'port') {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${command}: --${name} must be a port number between 0 and 65535`);
      result[name] = port;
    } else {
      result[name] = value;
    }
  }
  return result as ParsedFlags<S>;
}

export function describeFlags(spec: FlagSpec): string {
  return Object.entries(spec)
    .map(([name, flag]) => `    --${name.padEnd(18)} ${flag.description}${flag.required ? ' (required)' : ''}`)
    .join('\n');
}
