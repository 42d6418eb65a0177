// BASELINE ONLY — not used by the product. The XLSX export as it was before it streamed: the whole
// workbook built in memory (exceljs Workbook, shared strings) and written to one Buffer at the end.
import ExcelJS from 'exceljs';
import { exportColumns, rowOf } from '../api/run-export';
import type { RunQueries } from '../db/repos/run-queries';

export async function bufferedRunItemsXlsx(runs: Pick<RunQueries, 'allItems'>, runId: string): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Items');
  sheet.addRow([...exportColumns]);
  for await (const page of runs.allItems(runId)) for (const item of page) sheet.addRow(rowOf(item));
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
