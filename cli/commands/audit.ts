// `sync-center audit`: the audit log through the running API (admin), newest first.
import { apiClientOptionsFromEnv, apiRequest } from '../api-client';
import { UsageError } from '../args';
import { apiClientUsage, type Command } from './command';
import { cell, parseCommandLine, printJson, printTable, query, type Page } from './output';

interface AuditEntryView {
  id: number;
  at: string;
  actor: string;
  action: string;
  entityType: string;
  entityId: string;
  before: unknown;
  after: unknown;
}

const flags = {
  actor: { description: 'only this actor, e.g. token:alice:<id>, bootstrap-admin, sync:<taskId>' },
  entity: { description: 'an entity type (user, department, sync_task, pending_deletion, token, notification_channel) or <type>:<id>' },
  action: { description: 'only this action, e.g. pending_deletion.execute' },
  from: { description: 'entries at or after this instant (ISO 8601, e.g. 2026-01-31T00:00:00Z)' },
  to: { description: 'entries before this instant (ISO 8601)' },
  limit: { description: 'entries per page (1-500, default 50)' },
  offset: { description: 'entries to skip (default 0)' },
};

function instant(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const at = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at.getTime())) throw new UsageError(`audit: --${flag} must be an ISO 8601 instant such as 2026-01-31T00:00:00Z (got "${value}")`);
  return at.toISOString();
}

function count(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`audit: --${flag} must be a whole number (got "${value}")`);
  return Number(value);
}

/** What changed, in one cell: the fields whose value differs between before and after. */
function changed(before: unknown, after: unknown): string {
  if (before === null || typeof before !== 'object') return after === null ? '' : 'created';
  if (after === null || typeof after !== 'object') return 'deleted';
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).join(', ');
}

export const auditCommand: Command = {
  name: 'audit',
  summary: 'who did what: the audit log (admin)',
  usage: `sync-center audit [--actor <actor>] [--entity <type>[:<id>]] [--action <action>] [--from <instant>] [--to <instant>] [--limit N] [--offset N] [--json]

  Newest first, one page (see --limit and --offset; the footer says how many match).
${Object.entries(flags).map(([name, f]) => `  --${name.padEnd(8)} ${f.description}`).join('\n')}
  --json     machine-readable output (the page, with before and after in full)

${apiClientUsage}`,
  async run(argv) {
    const parsed = parseCommandLine('audit', argv, { flags });
    if (parsed.positionals.length > 0) throw new UsageError(`audit: unexpected argument "${parsed.positionals[0]}"`);
    const f = parsed.flags;
    const search = query({ actor: f.actor, entity: f.entity, action: f.action, from: instant('from', f.from), to: instant('to', f.to), limit: count('limit', f.limit), offset: count('offset', f.offset) });
    const page = await apiRequest<Page<AuditEntryView>>(apiClientOptionsFromEnv(), 'GET', `/api/v1/audit${search}`);
    if (parsed.switches.has('json')) {
      printJson(page);
      return 0;
    }
    printTable(
      ['AT', 'ACTOR', 'ACTION', 'ENTITY', 'CHANGED'],
      page.items.map((e) => [e.at, cell(e.actor, 40), e.action, cell(`${e.entityType}:${e.entityId}`, 50), cell(changed(e.before, e.after), 50)]),
      'no audit entries match',
    );
    if (page.total > page.items.length) process.stdout.write(`${page.offset + 1}-${page.offset + page.items.length} of ${page.total}; more with --offset ${page.offset + page.items.length}\n`);
    return 0;
  },
};
