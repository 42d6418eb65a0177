// `sync-center token create|list`: manages API tokens through the running API.
import { apiClientOptionsFromEnv, apiRequest } from '../api-client';
import { describeFlags, parseFlags, UsageError } from '../args';
import type { Command } from './command';

const roles = ['admin', 'operator', 'approver'] as const;
const createFlags = {
  role: { description: `one of ${roles.join(', ')}`, required: true },
  name: { description: 'who or what the token is for', required: true },
};

interface CreatedToken {
  id: string;
  name: string;
  role: string;
  token: string;
}

interface ListedToken {
  id: string;
  name: string;
  role: string;
  createdAt?: string;
  lastUsedAt?: string | null;
}

async function createToken(argv: string[]): Promise<number> {
  const flags = parseFlags('token create', argv, createFlags);
  if (!roles.includes(flags.role as (typeof roles)[number])) {
    throw new UsageError(`token create: --role must be one of ${roles.join(', ')}`);
  }
  const created = await apiRequest<CreatedToken>(apiClientOptionsFromEnv(), 'POST', '/api/v1/tokens', { name: flags.name, role: flags.role });
  // The token alone on stdout, so `TOKEN=$(sync-center token create …)` works; the rest on stderr.
  process.stderr.write(`created ${created.role} token "${created.name}" (id ${created.id}); it is shown only once:\n`);
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
  const rows = tokens.map((t) => [t.id, t.name, t.role, t.createdAt ?? '', t.lastUsedAt ?? '']);
  const header = ['ID', 'NAME', 'ROLE', 'CREATED', 'LAST USED'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows]) process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()}\n`);
  return 0;
}

export const tokenCommand: Command = {
  name: 'token',
  summary: 'create or list API tokens (calls the running API as admin)',
  usage: `sync-center token create --role <role> --name <name>
sync-center token list

  create  prints a new bearer token (shown once) on stdout
${describeFlags(createFlags)}
  list    lists tokens (never their secret)

  Uses SYNC_CENTER_API_URL (default http://127.0.0.1:3000) and the admin token from
  SYNC_CENTER_ADMIN_TOKEN or <data dir>/admin-token.`,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'create') return createToken(rest);
    if (sub === 'list') return listTokens(rest);
    throw new UsageError(sub ? `token: unknown subcommand "${sub}" (expected create or list)` : 'token: expected a subcommand, create or list');
  },
};
