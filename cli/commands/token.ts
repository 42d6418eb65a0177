// `sync-center token create|list`: manages API tokens through the running API.
import { apiClientOptionsFromEnv, apiRequest } from '../api-client';
import { describeFlags, parseFlags, UsageError } from '../args';
import { apiClientUsage, runSubcommand, type Command } from './command';

const roles = ['admin', 'operator', 'approver'] as const;
const createFlags = {
  role: { description: `one of ${roles.join(', ')}`, required: true },
  name: { description: 'who or what the token is for', required: true },
  'expires-in-days': { description: 'refused (401) after this many days (1-3650); default never' },
};

interface CreatedToken {
  id: string;
  name: string;
  role: string;
  expiresAt?: string | null;
  token: string;
}

interface ListedToken {
  id: string;
  name: string;
  role: string;
  createdAt?: string;
  lastUsedAt?: string | null;
  expiresAt?: string | null;
}

async function createToken(argv: string[]): Promise<number> {
  const flags = parseFlags('token create', argv, createFlags);
  if (!roles.includes(flags.role as (typeof roles)[number])) {
    throw new UsageError(`token create: --role must be one of ${roles.join(', ')}`);
  }
  const days = flags['expires-in-days'];
  if (days !== undefined && !/^[1-9]\d{0,3}$/.test(days)) throw new UsageError('token create: --expires-in-days must be a whole number of days, 1 to 3650');
  const body = { name: flags.name, role: flags.role, ...(days !== undefined ? { expiresInDays: Number(days) } : {}) };
  const created = await apiRequest<CreatedToken>(apiClientOptionsFromEnv(), 'POST', '/api/v1/tokens', body);
  // The token alone on stdout, so `TOKEN=$(sync-center token create …)` works; the rest on stderr.
  const expiry = created.expiresAt ? `, expires ${created.expiresAt}` : '';
  process.stderr.write(`created ${created.role} token "${created.name}" (id ${created.id}${expiry}); it is shown only once:\n`);
  process.stdout.write(`${created.token}\n`);
  return 0;
}

async function listTokens(argv: string[]): Promise<number> {
  parseFlags('token list', argv, {});
  const body = await apiRequest<ListedToken[] | { items: ListedToken[] }>(apiClientOptionsFromEnv(), 'GET', '/api/v1/tokens');
  const tokens = Array.isArray(body) ? body : body.items;
  if (tokens.length === 0) {
    process.stdout.write('no tokens\n');
    return 0;
  }
  const rows = tokens.map((t) => [t.id, t.name, t.role, t.createdAt ?? '', t.lastUsedAt ?? '', t.expiresAt ?? 'never']);
  const header = ['ID', 'NAME', 'ROLE', 'CREATED', 'LAST USED', 'EXPIRES'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows]) process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()}\n`);
  return 0;
}

export const tokenCommand: Command = {
  name: 'token',
  summary: 'create or list API tokens (calls the running API as admin)',
  usage: `sync-center token create --role <role> --name <name> [--expires-in-days N]
sync-center token list

  create  prints a new bearer token (shown once) on stdout
${describeFlags(createFlags)}
  list    lists tokens (never their secret)

${apiClientUsage}`,
  run: (argv) => runSubcommand('token', argv, { create: createToken, list: listTokens }),
};
