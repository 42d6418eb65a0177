// An upstream CSV task that already ran: its hub people and departments, owned and linked, put in
// with set-based SQL (a real first run of 100k rows applies them one hub write at a time, which
// is the downstream benchmark's subject, not this one's). The export files go under a temporary
// import directory, where the CSV connector reads them as it does in production.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { csvDepartmentId } from '../connectors/csv/build-directory';
import { connectorCatalog } from '../connectors/definitions';
import { importDirVariable } from '../connectors/csv/import-dir';
import type { Db } from '../db/client';
import { syncTasks, taskLinks } from '../db/schema';
import type { SecretBox } from '../db/secret-box';
import { parseTaskConfig, splitSecrets } from '../engine/task-config';

export const EXPORT_FILE = 'hr.csv';
const HEADER = 'username,name,employee_number,department,status';
/** people per department: 100k people land in 400 departments */
const PER_DEPARTMENT = 250;

export const departmentCount = (people: number): number => Math.max(1, Math.ceil(people / PER_DEPARTMENT));
const departmentOf = (n: number, departments: number) => ((n - 1) % departments) + 1;

/** A temporary import directory, set as SYNC_CENTER_IMPORT_DIR for the connectors of this process. */
export async function useTemporaryImportDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sc-bench-imports-'));
  const before = process.env[importDirVariable];
  process.env[importDirVariable] = dir;
  return {
    dir,
    remove: async () => {
      if (before === undefined) delete process.env[importDirVariable];
      else process.env[importDirVariable] = before;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The empty export: the header and no rows. */
export const writeEmptyExport = (dir: string) => writeFile(path.join(dir, EXPORT_FILE), `${HEADER}\n`);

/** The export fixed by HR: every person again, those frozen meanwhile marked as left. */
export async function writeFullExport(dir: string, people: number, frozen: ReadonlySet<number>): Promise<void> {
  const departments = departmentCount(people);
  const lines = [HEADER];
  for (let n = 1; n <= people; n++) {
    lines.push(`user${n},Person ${n},E${n},Dept ${departmentOf(n, departments)},${frozen.has(n) ? 'disabled' : 'active'}`);
  }
  await writeFile(path.join(dir, EXPORT_FILE), `${lines.join('\n')}\n`);
}

/** The upstream task reading EXPORT_FILE, with the default guard (20%) and offboarding (disable). */
export async function createUpstreamCsvTask(db: Db, secretBox: SecretBox, taskId: string): Promise<void> {
  const { publicConfig, secrets } = splitSecrets(
    parseTaskConfig({ name: 'HR export to the hub (bench)', direction: 'upstream', connector: { kind: 'csv', settings: { path: EXPORT_FILE } } }, { kinds: connectorCatalog }),
  );
  await db.insert(syncTasks).values({ id: taskId, name: publicConfig.name, direction: 'upstream', connectorKind: 'csv', config: publicConfig as never, secretsSealed: secretBox.seal(secrets) });
}

/** What the task's earlier runs left: `people` active hub users in their departments, owned by the task, every one linked. */
export async function seedUpstreamHub(db: Db, taskId: string, people: number): Promise<void> {
  const departments = departmentCount(people);
  await db.transaction(async (tx) => {
    await tx.execute(sql`insert into hub_departments (id, name, parent_id) select 'hub-d-' || k, 'Dept ' || k, null from generate_series(1, ${departments}) as k`);
    const links = Array.from({ length: departments }, (_, i) => ({ taskId, entity: 'department' as const, sourceId: csvDepartmentId([`Dept ${i + 1}`]), targetId: `hub-d-${i + 1}` }));
    for (let i = 0; i < links.length; i += 1000) await tx.insert(taskLinks).values(links.slice(i, i + 1000));
    await tx.execute(sql`insert into hub_users (id, username, name, employee_number, department_ids, main_department_id, status, source_task_id)
      select 'hub-u-' || n, 'user' || n, 'Person ' || n, 'E' || n, jsonb_build_array('hub-d-' || ((n - 1) % ${departments} + 1)),
        'hub-d-' || ((n - 1) % ${departments} + 1), 'active', ${taskId}
      from generate_series(1, ${people}) as n`);
    await tx.execute(sql`insert into task_links (task_id, entity, source_id, target_id)
      select ${taskId}, 'user', 'E' || n, 'hub-u-' || n from generate_series(1, ${people}) as n`);
  });
}

/** The person number of a seeded hub user id (`hub-u-<n>`). */
export const personNumber = (hubUserId: string): number => Number(hubUserId.slice('hub-u-'.length));
