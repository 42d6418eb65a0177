// `sync-center fake <kind> --port N …`: runs a vendor fake until Ctrl-C, for demos and manual tests.
import { allowedHostsVariable } from '../../connectors/shared/host-policy';
import { describeFlags, parseFlags, UsageError, type FlagSpec } from '../args';
import { fakeKinds } from '../fakes';
import { Lifecycle } from '../lifecycle';
import type { Command } from './command';

const commonFlags: FlagSpec = {
  port: { description: 'port to listen on (default: a free one)', kind: 'port' },
  host: { description: 'address to bind (default 127.0.0.1)' },
};

function flagsOf(kind: string): FlagSpec {
  const spec: FlagSpec = { ...commonFlags };
  for (const f of fakeKinds[kind].credentialFlags) spec[f.flag] = { description: f.description };
  return spec;
}

export const fakeCommand: Command = {
  name: 'fake',
  summary: `run a vendor fake (${Object.keys(fakeKinds).join(', ')})`,
  usage: `sync-center fake <kind> [--port N] [--host H] [credential flags]

  Serves the vendor's own API plus GET /__fake/state, POST /__fake/seed, /__fake/faults, /__fake/emit.
${Object.entries(fakeKinds)
  .map(([kind, fake]) => `\n  ${kind}: ${fake.description}\n${describeFlags(flagsOf(kind))}`)
  .join('\n')}`,
  async run(argv) {
    const [kind, ...rest] = argv;
    if (!kind || !(kind in fakeKinds)) {
      throw new UsageError(`fake: ${kind ? `unknown kind "${kind}"` : 'expected a kind'} (known: ${Object.keys(fakeKinds).join(', ')})`);
    }
    const fake = fakeKinds[kind];
    const flags = parseFlags(`fake ${kind}`, rest, flagsOf(kind)) as Record<string, string | number | undefined>;
    const options: Record<string, string | number | undefined> = { port: flags.port, host: flags.host };
    for (const f of fake.credentialFlags) options[f.option] = flags[f.flag];

    const lifecycle = new Lifecycle();
    try {
      const running = await fake.start(options);
      await lifecycle.add(`${kind} fake`, () => running.close());
      process.stdout.write(`${kind} fake listening on ${running.url} (API base ${running.baseUrl}); Ctrl-C stops it\n`);
      // Connectors call only their vendor's hosts unless told otherwise (connectors/shared/host-policy.ts).
      process.stdout.write(`connectors may call it when the worker runs with ${allowedHostsVariable}=${new URL(running.baseUrl).host}\n`);
    } catch (err) {
      return lifecycle.abortStartup(err);
    }
    return lifecycle.untilStopped();
  },
};
