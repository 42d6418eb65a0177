// Flags on node:util parseArgs (strict): `--name value` or `--name=value`, on/off switches, and
// positionals where a command takes them; every error names the flag.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

export type FlagSpec = Record<string, { description: string; required?: boolean; kind?: 'string' | 'port' }>;
export type ParsedFlags<S extends FlagSpec> = { [K in keyof S]?: S[K]['kind'] extends 'port' ? number : string };

export interface CommandLine<S extends FlagSpec> {
  flags: ParsedFlags<S>;
  /** the switches given, e.g. `json` for --json */
  switches: Set<string>;
  positionals: string[];
}

export interface CommandShape {
  /** flags without a value (parseArgs booleans) */
  switches?: readonly string[];
  /** whether bare arguments (ids) are taken; everything after `--` is one */
  positionals?: boolean;
}

type ArgsOptions = NonNullable<ParseArgsConfig['options']>;

/** Value flags per `spec` (all strings to parseArgs; `port` checked here), switches and positionals. */
export function parseArguments<S extends FlagSpec>(command: string, argv: string[], spec: S, shape: CommandShape = {}): CommandLine<S> {
  const switchNames = shape.switches ?? [];
  const options: ArgsOptions = {};
  for (const name of Object.keys(spec)) options[name] = { type: 'string' };
  for (const name of switchNames) options[name] = { type: 'boolean' };
  const allowPositionals = shape.positionals ?? false;

  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals, tokens: true });
  } catch (error) {
    throw usageErrorOf(command, argv, options, allowPositionals, error);
  }

  // parseArgs keeps the last of a repeated value; given twice is more likely a slip than a wish.
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option' || !Object.hasOwn(spec, token.name)) continue;
    if (seen.has(token.name)) throw new UsageError(`${command}: --${token.name} given twice`);
    seen.add(token.name);
  }

  const flags: Record<string, string | number> = {};
  for (const [name, flag] of Object.entries(spec)) {
    const value = parsed.values[name];
    if (typeof value !== 'string' || value === '') {
      if (flag.required) throw new UsageError(`${command}: --${name} is required (${flag.description})`);
      continue;
    }
    if (flag.kind === 'port') {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${command}: --${name} must be a port number between 0 and 65535`);
      flags[name] = port;
    } else {
      flags[name] = value;
    }
  }
  return {
    flags: flags as ParsedFlags<S>,
    switches: new Set(switchNames.filter((name) => parsed.values[name] === true)),
    positionals: parsed.positionals,
  };
}

/** Value flags only: any bare argument is refused. */
export function parseFlags<S extends FlagSpec>(command: string, argv: string[], spec: S): ParsedFlags<S> {
  return parseArguments(command, argv, spec).flags;
}

/**
 * parseArgs' errors carry no flag name and do not list the known flags, so the arguments are read
 * again loosely (its tokens, not our own scan) to find the first culprit and say it our way.
 */
function usageErrorOf(command: string, argv: string[], options: ArgsOptions, allowPositionals: boolean, error: unknown): Error {
  // By code, not class: under jest's VM the error is another realm's TypeError.
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return error as Error;
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind === 'positional') {
      if (!allowPositionals) return new UsageError(`${command}: unexpected argument "${token.value}"`);
      continue;
    }
    if (token.kind !== 'option') continue;
    const option = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (option === undefined) {
      const known = Object.keys(options).map((name) => `--${name}`).join(', ') || 'none';
      return new UsageError(`${command}: unknown flag ${token.rawName} (known: ${known})`);
    }
    if (option.type === 'boolean' && token.value !== undefined) return new UsageError(`${command}: ${token.rawName} takes no value`);
    // Loosely read, `--role --json` gives --role the value "--json": strict mode calls that missing.
    const value = token.value;
    if (option.type === 'string' && (value === undefined || (!token.inlineValue && value.length > 1 && value.startsWith('-')))) {
      const hint = value !== undefined && !value.startsWith('--') ? ` (for one starting with "-", write ${token.rawName}=${value})` : '';
      return new UsageError(`${command}: ${token.rawName} needs a value${hint}`);
    }
  }
  return new UsageError(`${command}: ${(error as Error).message}`);
}

export function describeFlags(spec: FlagSpec): string {
  return Object.entries(spec)
    .map(([name, flag]) => `    --${name.padEnd(18)} ${flag.description}${flag.required ? ' (required)' : ''}`)
    .join('\n');
}
