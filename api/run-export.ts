// Run items as a file people open in Excel: CSV (UTF-8 with BOM, RFC 4180 quoting) or XLSX.
import ExcelJS from 'exceljs';
import type { RunItemView, RunQueries, RunRow } from '../db/repos/run-queries';

export const exportColumns = ['seq', 'entity', 'action', 'status', 'sourceId', 'targetId', 'displayName', 'changedFields', 'before', 'after', 'errorCode', 'errorMessage', 'finishedAt'] as const;

/** Fields whose value differs between before and after: what a reviewer scans first. */
export function changedFields(before: unknown, after: unknown): string[] {
  const asObject = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const b = asObject(before);
  const a = asObject(after);
  return [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k])).sort();
}

function rowOf(item: RunItemView): string[] {
  const json = (v: unknown) => (v === null || v === undefined ? '' : JSON.stringify(v));
  return [
    String(item.seq),
    item.entity,
    item.action,
    item.status,
    item.sourceId ?? '',
    item.targetId ?? '',
    item.displayName ?? '',
    changedFields(item.before, item.after).join(' '),
    json(item.before),
    json(item.after),
    item.errorCode ?? '',
    item.errorMessage ?? '',
    item.finishedAt ? item.finishedAt.toISOString() : '',
  ];
}

/** A leading = + - @ would make Excel evaluate a directory value (a name, a title) as a formula. */
function defuseFormula(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

export function csvField(text: string): string {
  const safe = defuseFormula(text);
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export async function runItemsCsv(runs: Pick<RunQueries, 'allItems'>, runId: string): Promise<Buffer> {
  const lines = [exportColumns.join(',')];
  for await (const page of runs.allItems(runId)) for (const item of page) lines.push(rowOf(item).map(csvField).join(','));
  // The BOM tells Excel the file is UTF-8, so Chinese names survive a double-click.
  return Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`, 'utf8');
}

export async function runItemsXlsx(runs: Pick<RunQueries, 'allItems'>, run: RunRow): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'Sync Center';
  const summary = workbook.addWorksheet('Run');
  summary.addRows([
    ['run', run.id],
    ['task', run.taskId],
    ['trigger', run.trigger],
    ['status', run.status],
    ['dry run', run.dryRun ? 'yes' : 'no'],
    ['started', run.startedAt.toISOString()],
    ['finished', run.finishedAt?.toISOString() ?? ''],
    ['error', run.error ?? ''],
  ]);
  const sheet = workbook.addWorksheet('Items', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.addRow([...exportColumns]).font = { bold: true };
  // Cells are written as strings, so Excel never evaluates them; no defusing needed here.
  for await (const page of runs.allItems(run.id)) for (const item of page) sheet.addRow(rowOf(item));
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
