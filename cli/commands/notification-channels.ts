// `sync-center notification-channels list|add|remove`: where run events are announced, through the
// running API (admin). A channel's secrets (robot webhook URL, signing secret, SMTP password) are a
// JSON object read from an environment variable or stdin, never from argv: a command line is seen
// by `ps` and kept in shell history.
import fs from 'node:fs';
import { apiClientOptionsFromEnv, apiRequest } from '../api-client';
import { describeFlags, UsageError } from '../args';
import { channelKinds, notificationEvents } from '../../engine/notifications';
import { apiClientUsage, runSubcommand, type Command } from './command';
import { cell, oneOf, parseCommandLine, printJson, printTable, query, singleId } from './output';

interface ChannelView {
  id: string;
  name: string;
  taskId: string | null;
  kind: string;
  events: string[];
  settings: Record<string, unknown>;
  secretsSet: string[];
  enabled: boolean;
  createdAt: string;
}

const listFlags = { task: { description: 'only the channels of this task (global channels are listed without it)' } };

const addFlags = {
  name: { description: 'a name for people, e.g. "Ops WeCom group"', required: true },
  kind: { description: `one of ${channelKinds.join(', ')}`, required: true },
  task: { description: 'the task whose runs it announces; omitted: every task (a global channel)' },
  events: { description: `comma-separated, default every event: ${notificationEvents.join(', ')}` },
  settings: { description: 'a JSON object: email {host, port, secure, from, to}; any kind: credentialFailureThreshold' },
  'secrets-env': { description: 'the name of an environment variable holding the secrets as a JSON object' },
};

const secretShapes = 'wecom-robot {"webhookUrl"}; feishu-bot / dingtalk-robot {"webhookUrl", "signingSecret"?}; webhook {"url", "signingSecret"}; email {"username"?, "password"?}';

function jsonObject(what: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The text may be a secret: only where it came from is named, never its content.
    throw new UsageError(`notification-channels add: ${what} is not valid JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`notification-channels add: ${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

/** The secrets from the named variable, or stdin with --secrets-stdin; exactly one of the two. */
function readSecrets(envName: string | undefined, fromStdin: boolean, readStdin: () => string): Record<string, unknown> {
  if (envName !== undefined && fromStdin) throw new UsageError('notification-channels add: give --secrets-env or --secrets-stdin, not both');
  if (fromStdin) return jsonObject('the secrets on stdin', readStdin());
  if (envName === undefined) throw new UsageError(`notification-channels add: the channel's secrets are required: --secrets-env VAR or --secrets-stdin (a JSON object: ${secretShapes})`);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(envName)) throw new UsageError(`notification-channels add: --secrets-env must name an environment variable (got "${envName}")`);
  const text = process.env[envName];
  if (text === undefined || text.trim() === '') throw new UsageError(`notification-channels add: --secrets-env ${envName}: the variable is not set`);
  return jsonObject(`--secrets-env ${envName}`, text);
}

function events(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(',').map((e) => e.trim()).filter(Boolean);
  const unknown = names.filter((e) => !(notificationEvents as readonly string[]).includes(e));
  if (names.length === 0 || unknown.length > 0) throw new UsageError(`notification-channels add: --events must list events of ${notificationEvents.join(', ')} (got "${unknown[0] ?? value}")`);
  return names;
}

async function list(argv: string[]): Promise<number> {
  const parsed = parseCommandLine('notification-channels list', argv, { flags: listFlags });
  if (parsed.positionals.length > 0) throw new UsageError(`notification-channels list: unexpected argument "${parsed.positionals[0]}"`);
  const { items } = await apiRequest<{ items: ChannelView[] }>(apiClientOptionsFromEnv(), 'GET', `/api/v1/notification-channels${query({ taskId: parsed.flags.task })}`);
  if (parsed.switches.has('json')) {
    printJson({ items });
    return 0;
  }
  printTable(
    ['ID', 'NAME', 'KIND', 'TASK', 'EVENTS', 'SECRETS', 'ENABLED'],
    items.map((c) => [c.id, cell(c.name, 40), c.kind, c.taskId ?? '(every task)', cell(c.events.join(','), 60), c.secretsSet.join(','), c.enabled ? 'yes' : 'no']),
    'no notification channels',
  );
  return 0;
}

async function add(argv: string[], readStdin: () => string): Promise<number> {
  const parsed = parseCommandLine('notification-channels add', argv, { flags: addFlags, switches: ['secrets-stdin', 'disabled'] });
  if (parsed.positionals.length > 0) throw new UsageError(`notification-channels add: unexpected argument "${parsed.positionals[0]}"`);
  const f = parsed.flags;
  const kind = oneOf('notification-channels add', 'kind', f.kind, channelKinds);
  const body = {
    name: f.name,
    kind,
    ...(f.task ? { taskId: f.task } : {}),
    ...(f.events ? { events: events(f.events) } : {}),
    ...(f.settings ? { settings: jsonObject('--settings', f.settings) } : {}),
    secrets: readSecrets(f['secrets-env'], parsed.switches.has('secrets-stdin'), readStdin),
    ...(parsed.switches.has('disabled') ? { enabled: false } : {}),
  };
  const created = await apiRequest<ChannelView>(apiClientOptionsFromEnv(), 'POST', '/api/v1/notification-channels', body);
  if (parsed.switches.has('json')) printJson(created);
  else process.stdout.write(`${created.id}\n`);
  return 0;
}

async function remove(argv: string[]): Promise<number> {
  const parsed = parseCommandLine('notification-channels remove', argv, { flags: {} });
  const id = singleId('notification-channels remove', parsed.positionals, 'channel id');
  await apiRequest(apiClientOptionsFromEnv(), 'DELETE', `/api/v1/notification-channels/${encodeURIComponent(id)}`);
  process.stdout.write(`removed ${id}\n`);
  return 0;
}

const readStdin = () => fs.readFileSync(0, 'utf8');

export const notificationChannelsCommand: Command = {
  name: 'notification-channels',
  summary: 'list, add or remove notification channels (admin)',
  usage: `sync-center notification-channels list [--task <id>] [--json]
       sync-center notification-channels add --name N --kind K [--task <id>] [--events e1,e2] [--settings JSON]
                                            (--secrets-env VAR | --secrets-stdin) [--disabled] [--json]
       sync-center notification-channels remove <id>

  list     every channel (or one task's) with the names of its secrets, never their values
  add      prints the new channel's id; its secrets are a JSON object read from the environment
           variable --secrets-env names, or from stdin with --secrets-stdin (never from the command
           line): ${secretShapes}
${describeFlags(addFlags)}
  remove   removes the channel

${apiClientUsage}`,
  run: (argv) => runSubcommand('notification-channels', argv, { list, add: (rest) => add(rest, readStdin), remove }),
};
