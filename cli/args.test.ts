import { parseFlags, UsageError } from './args';

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
