import { parseArguments, parseFlags, UsageError } from './args';

const spec = {
  port: { description: 'port', kind: 'port' as const },
  role: { description: 'role', required: true },
};

describe('parseFlags', () => {
  it('reads --flag value and --flag=value', () => {
    expect(parseFlags('x', ['--role', 'admin', '--port=18081'], spec)).toEqual({ role: 'admin', port: 18081 });
  });

  it.each([
    [['--port', '1'], '--role is required'],
    [['--role', 'a', '--colour', 'red'], 'unknown flag --colour'],
    [['--role'], '--role needs a value'],
    [['--role', 'a', '--port', 'http'], '--port must be a port number'],
    [['--role', 'a', '--role', 'b'], '--role given twice'],
    [['stray'], 'unexpected argument "stray"'],
  ])('%j fails naming the flag', (argv, message) => {
    expect(() => parseFlags('x', argv, spec)).toThrow(UsageError);
    expect(() => parseFlags('x', argv, spec)).toThrow(message);
  });
});

describe('parseArguments: switches and positionals (the API-backed commands)', () => {
  const shape = { switches: ['json', 'wait'], positionals: true };

  it('separates value flags, switches and positionals in any order', () => {
    expect(parseArguments('x', ['id-1', '--wait', '--role=admin', 'id-2', '--json'], spec, shape)).toEqual({
      flags: { role: 'admin' },
      switches: new Set(['wait', 'json']),
      positionals: ['id-1', 'id-2'],
    });
  });

  it('takes - as a value (stdin) and everything after -- as positionals', () => {
    expect(parseArguments('x', ['--role', '-', '--', '--json'], spec, shape)).toMatchObject({ flags: { role: '-' }, switches: new Set(), positionals: ['--json'] });
  });

  it.each([
    [['--role', 'a', '--json=yes'], 'x: --json takes no value'],
    [['--role', 'a', '--verbose'], 'x: unknown flag --verbose (known: --port, --role, --json, --wait)'],
    [['--role', 'a', '-v'], 'x: unknown flag -v (known: --port, --role, --json, --wait)'],
    [['--role', 'a', '--constructor'], 'x: unknown flag --constructor (known: --port, --role, --json, --wait)'],
    [['--role', '--json'], 'x: --role needs a value'],
    [['--role', 'a', '--port', '-1'], 'x: --port needs a value (for one starting with "-", write --port=-1)'],
    [['--role', 'a', '--port=-1'], 'x: --port must be a port number between 0 and 65535'],
    [['--role='], 'x: --role is required (role)'],
  ])('%j fails naming the flag', (argv, message) => {
    expect(() => parseArguments('x', argv, spec, shape)).toThrow(new UsageError(message));
  });

  it('lists no known flags as none, and refuses a positional where none is taken', () => {
    expect(() => parseFlags('worker', ['--verbose'], {})).toThrow(new UsageError('worker: unknown flag --verbose (known: none)'));
    expect(() => parseFlags('worker', ['--', 'x'], {})).toThrow(new UsageError('worker: unexpected argument "x"'));
  });
});
