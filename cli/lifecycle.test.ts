import { Lifecycle, StartupAborted } from './lifecycle';

describe('Lifecycle', () => {
  const logs: string[] = [];
  const log = (line: string) => logs.push(line);
  beforeEach(() => (logs.length = 0));

  it('stops in reverse start order on SIGINT and resolves with 0', async () => {
    const stopped: string[] = [];
    const lifecycle = new Lifecycle(log);
    for (const name of ['temporal', 'database', 'worker', 'api']) await lifecycle.add(name, async () => void stopped.push(name));
    process.emit('SIGINT', 'SIGINT');
    process.emit('SIGINT', 'SIGINT'); // npm's forwarded copy of the same Ctrl-C: ignored
    expect(await lifecycle.untilStopped()).toBe(0);
    expect(stopped).toEqual(['api', 'worker', 'database', 'temporal']);
    expect(process.listenerCount('SIGINT')).toBe(0);
  });

  it('keeps stopping the rest when one step fails, and exits 1 naming it', async () => {
    const stopped: string[] = [];
    const lifecycle = new Lifecycle(log);
    await lifecycle.add('database', async () => void stopped.push('database'));
    await lifecycle.add('worker', async () => {
      throw new Error('drain timed out');
    });
    expect(await lifecycle.shutdown(0)).toBe(1);
    expect(stopped).toEqual(['database']);
    expect(logs).toContain('[sync-center] stopping worker failed: drain timed out');
  });

  it('stops a service that finishes starting after a stop was requested, and start-up exits 0', async () => {
    const lifecycle = new Lifecycle(log);
    let stopped = false;
    void lifecycle.shutdown(0);
    const added = lifecycle.add('late', async () => void (stopped = true));
    await expect(added).rejects.toBeInstanceOf(StartupAborted);
    expect(stopped).toBe(true);
    expect(await lifecycle.abortStartup(await added.catch((err: unknown) => err))).toBe(0);
  });

  it('a service failing on its own stops everything with exit code 1', async () => {
    const lifecycle = new Lifecycle(log);
    let stopped = false;
    await lifecycle.add('database', async () => void (stopped = true));
    lifecycle.fail('worker', new Error('lost its connection'));
    expect(await lifecycle.untilStopped()).toBe(1);
    expect(stopped).toBe(true);
    expect(logs).toContain('[sync-center] worker failed: lost its connection');
  });
});
