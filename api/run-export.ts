// Run items as a file people open in Excel: CSV (UTF-8 with BOM, RFC 4180 quoting) or XLSX,
// streamed page by page so a 100k-item run never sits in memory whole.
import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
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

/** One item as the cells of a row, in `exportColumns` order. */
export function rowOf(item: RunItemView): string[] {
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

/** The CSV file as a stream, one database page (1000 items) in memory at a time. */
export function runItemsCsv(runs: Pick<RunQueries, 'allItems'>, runId: string): Readable {
  async function* lines(): AsyncGenerator<string> {
    // The BOM tells Excel the file is UTF-8, so Chinese names survive a double-click.
    yield `\uFEFF${exportColumns.join(',')}\r\n`;
    for await (const page of runs.allItems(runId)) yield page.map((item) => `${rowOf(item).map(csvField).join(',')}\r\n`).join('');
  }
  return Readable.from(lines(), { objectMode: false });
}

/**
 * The XLSX file as a stream: exceljs's streaming writer commits each row as it is written, with
 * inline strings (no shared-string table held until the end), and waits for the reader between pages.
 */
export function runItemsXlsx(runs: Pick<RunQueries, 'allItems'>, run: RunRow): Readable {
  const out = new PassThrough();
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  workbook.creator = 'Sync Center';
  async function write(): Promise<void> {
    const summary = workbook.addWorksheet('Run');
    const facts: [string, string][] = [
      ['run', run.id],
      ['task', run.taskId],
      ['trigger', run.trigger],
      ['status', run.status],
      ['dry run', run.dryRun ? 'yes' : 'no'],
      ['started', run.startedAt.toISOString()],
      ['finished', run.finishedAt?.toISOString() ?? ''],
      ['error', run.error ?? ''],
    ];
    for (const fact of facts) summary.addRow(fact).commit();
    summary.commit();
    const sheet = workbook.addWorksheet('Items', { views: [{ state: 'frozen', ySplit: 1 }] });
    const header = sheet.addRow([...exportColumns]);
    header.font = { bold: true };
    header.commit();
    // Cells are written as strings, so Excel never evaluates them; no defusing needed here.
    for await (const page of runs.allItems(run.id)) {
      for (const item of page) sheet.addRow(rowOf(item)).commit();
      if (out.writableNeedDrain) await once(out, 'drain');
      else await new Promise((resolve) => setImmediate(resolve));
    }
    sheet.commit();
    await workbook.commit();
  }
  write().catch((error: unknown) => out.destroy(error as Error));
  return out;
}

/** At most `max` exports at once per API process; the rest are told to come back (429). */
export function createExportGate(max: number) {
  let running = 0;
  return {
    /** A release function, or undefined when `max` exports are already running. */
    tryAcquire(): (() => void) | undefined {
      if (running >= max) return undefined;
      running++;
      let released = false;
      return () => {
        if (!released) running--;
        released = true;
      };
    },
    get running(): number {
      return running;
    },
  };
}
