// snapshot: read the source (mapped through the task's field mapping) and the target, store both.
// A real-time run reads only the changed ids, the entities they refer to, and their linked targets;
// an incremental run (activities/incremental-read.ts) first asks the source which ids changed.
import { ApplicationFailure } from '@temporalio/common';
import { compileFieldMapping, mapUsers } from '../engine/field-mapping';
import { defaultCountryCode } from '../engine/mobile';
import type { Department, DirectorySnapshot } from '../engine/model';
import { isScoped } from '../engine/scope';
import { VendorError } from '../connectors/errors';
import type { Connector } from '../connectors/types';
import { getReadWatermark } from '../db/repos/read-watermarks';
import { getRun, setRunPhase, setRunRead, storeMappingFailures, storeSnapshot, type RunHeader } from '../db/repos/sync-runs';
import type { RunRead } from '../db/schema';
import { listTaskLinksFor } from '../db/repos/task-links';
import type { SnapshotInput, SnapshotResult } from './types';
import type { ActivityDeps } from './deps';
import { cancellationSignal, heartbeat } from './heartbeat';
import { changeReader, decideRead, readConfigHash } from './incremental-read';
import { closeEndpoints, loadTaskRecord, openEndpoints, runActor, type TaskRecord } from './task';
import { toStepFailure } from './vendor-failure';

/** Every page, heartbeating as it goes (a vendor read can take minutes). */
export async function readWhole(connector: Connector, side: string): Promise<DirectorySnapshot> {
  const snapshot: DirectorySnapshot = { departments: [], users: [] };
  for await (const page of connector.readSnapshot()) {
    snapshot.departments.push(...page.departments);
    snapshot.users.push(...page.users);
    heartbeat({ side, departments: snapshot.departments.length, users: snapshot.users.length });
  }
  return snapshot;
}

const unique = (ids: Iterable<string>) => [...new Set(ids)];

/** The changed source entities plus the departments and people they point at, so references resolve. */
async function readChangedSource(source: Connector, changed: string[], withAncestors: boolean): Promise<DirectorySnapshot> {
  const first = await source.readByIds({ departmentIds: changed, userIds: changed });
  heartbeat({ side: 'source', changed: changed.length });
  const have = new Set([...first.departments.map((d) => `d:${d.id}`), ...first.users.map((u) => `u:${u.id}`)]);
  const departmentRefs = unique([
    ...first.users.flatMap((u) => [...u.departmentIds, ...(u.mainDepartmentId ? [u.mainDepartmentId] : [])]),
    ...first.departments.flatMap((d) => (d.parentId ? [d.parentId] : [])),
  ]).filter((id) => !have.has(`d:${id}`));
  const userRefs = unique([...first.users.flatMap((u) => (u.managerId ? [u.managerId] : [])), ...first.departments.flatMap((d) => d.leaderIds)]).filter(
    (id) => !have.has(`u:${id}`),
  );
  const context = departmentRefs.length + userRefs.length > 0 ? await source.readByIds({ departmentIds: departmentRefs, userIds: userRefs }) : undefined;
  const departments = [...first.departments, ...(context?.departments ?? [])];
  if (withAncestors) departments.push(...(await readMissingAncestors(source, departments)));
  return { departments, users: [...first.users, ...(context?.users ?? [])] };
}

/**
 * The parents of `departments` up to the root, level by level. A scope naming an ancestor
 * department only holds a partial read that carries the path to it; without it an in-scope
 * person would look out of scope and be offboarded.
 */
export async function readMissingAncestors(source: Pick<Connector, 'readByIds'>, departments: readonly Department[]): Promise<Department[]> {
  const seen = new Set(departments.map((d) => d.id));
  const parentsOf = (list: readonly Department[]) => unique(list.flatMap((d) => (d.parentId !== null && !seen.has(d.parentId) ? [d.parentId] : [])));
  const found: Department[] = [];
  // Bounded: a parent cycle in the source must not loop forever.
  for (let wanted = parentsOf(departments), depth = 0; wanted.length > 0 && depth < 100; depth++) {
    for (const id of wanted) seen.add(id);
    const read = await source.readByIds({ departmentIds: wanted, userIds: [] });
    found.push(...read.departments);
    wanted = parentsOf(read.departments);
  }
  return found;
}

/**
 * The source ids whose links a partial target read can use: the departments and people read, the
 * changed ids (a deleted one is read as nothing but may still be linked), and the managers and
 * leaders they point at. A real-time run loads only these links, not every link of the task.
 */
export function linkIdsForChangedRead(source: DirectorySnapshot, changed: readonly string[]): Record<'department' | 'user', string[]> {
  const referenced = [...source.users.flatMap((u) => (u.managerId ? [u.managerId] : [])), ...source.departments.flatMap((d) => d.leaderIds)];
  return {
    department: unique([...source.departments.map((d) => d.id), ...changed]),
    user: unique([...source.users.map((u) => u.id), ...changed, ...referenced]),
  };
}

/** The targets linked to the source entities read and the people they point at; the whole target when one of the changed is new (it may match an existing account). */
async function readChangedTarget(deps: ActivityDeps, taskId: string, target: Connector, source: DirectorySnapshot, changed: string[]): Promise<DirectorySnapshot> {
  const wanted = linkIdsForChangedRead(source, changed);
  const links = await listTaskLinksFor(deps.database.db, taskId, wanted);
  const linked = { department: new Map<string, string>(), user: new Map<string, string>() };
  for (const link of links) linked[link.entity].set(link.sourceId, link.targetId);
  const changedSet = new Set(changed);
  const unlinkedNew =
    source.users.some((u) => changedSet.has(u.id) && !linked.user.has(u.id)) || source.departments.some((d) => changedSet.has(d.id) && !linked.department.has(d.id));
  if (unlinkedNew) return readWhole(target, 'target');
  const departmentIds = unique(wanted.department.flatMap((id) => linked.department.get(id) ?? []));
  // A manager or leader the source did not read (an HR source reads no one by id) is found through its link.
  const userIds = unique(wanted.user.flatMap((id) => linked.user.get(id) ?? []));
  const read = await target.readByIds({ departmentIds, userIds });
  heartbeat({ side: 'target', departments: read.departments.length, users: read.users.length });
  return { departments: read.departments, users: read.users };
}

/**
 * The ids this run reads (undefined: the whole source), and how it read: the trigger's changed ids,
 * the changes the source lists since the task's watermark, or everything (taking a watermark first
 * when the task reads incrementally, so the change of a run after it is not missed).
 */
async function chooseSourceRead(deps: ActivityDeps, run: RunHeader, task: TaskRecord, source: Connector, requested: string[] | undefined): Promise<{ changed?: string[]; read: RunRead }> {
  const db = deps.database.db;
  if (requested !== undefined && requested.length > 0) {
    const read: RunRead = { kind: 'changed-ids', reason: `${run.trigger} run of ${requested.length} changed ids` };
    await setRunRead(db, run.id, read, undefined);
    return { changed: requested, read };
  }
  const reader = changeReader(source);
  const readConfig = readConfigHash({ connector: { kind: task.connectorKind, settings: task.config.connector?.settings }, fieldMapping: task.config.fieldMapping });
  const decision = decideRead({
    trigger: run.trigger,
    direction: task.direction,
    incremental: task.config.incremental,
    capable: reader !== undefined,
    stored: task.config.incremental?.enabled ? await getReadWatermark(db, task.id) : undefined,
    readConfig,
    now: new Date(),
  });
  if (decision.kind === 'incremental' && reader) {
    const changes = await reader.readChangesSince(decision.since);
    heartbeat({ side: 'source', changed: changes.changedIds.length });
    const read: RunRead = { kind: 'incremental', reason: decision.reason, since: decision.since, watermark: changes.watermark, changed: changes.changedIds.length, readConfig };
    await setRunRead(db, run.id, read, changes.byEntity ?? changes.changedIds);
    return { changed: changes.changedIds, read };
  }
  let watermark: string | undefined;
  let reason = decision.reason;
  if (decision.kind === 'full' && decision.takeWatermark && reader) {
    try {
      watermark = await reader.changeWatermark();
    } catch (error) {
      // The full read still syncs; with no watermark the next scheduled runs read in full too, and say why.
      if (!(error instanceof VendorError) || error.transient) throw error;
      reason = `${reason}; no watermark: ${error.vendorMessage}`;
    }
  }
  const read: RunRead = { kind: 'full', reason, ...(watermark !== undefined ? { watermark, readConfig } : {}) };
  // A retried attempt may have read incrementally before: its ids must not make this full read partial.
  await setRunRead(db, run.id, read, requested === undefined && run.read?.kind === 'incremental' ? null : undefined);
  return { read };
}

export function createSnapshotActivity(deps: ActivityDeps) {
  return async function snapshot(input: SnapshotInput): Promise<SnapshotResult> {
    const db = deps.database.db;
    const run = await getRun(db, input.runId);
    if (!run) throw ApplicationFailure.create({ type: 'RunNotFound', message: `runId: no run ${input.runId}`, nonRetryable: true });
    const task = await loadTaskRecord(db, run.taskId);
    let compiled;
    let mobileCountryCode: string;
    try {
      compiled = compileFieldMapping(task.config.fieldMapping ?? []);
      // Source mobiles reach the plan in the hub's form (E.164), so they compare equal run after run.
      mobileCountryCode = defaultCountryCode();
    } catch (error) {
      throw ApplicationFailure.create({ type: 'InvalidConfig', message: (error as Error).message, nonRetryable: true });
    }
    await setRunPhase(db, run.id, 'snapshot');
    const endpoints = openEndpoints(deps, task, runActor(task.id));
    try {
      // The ids an earlier attempt's incremental read stored on the run are not a trigger's.
      const requested = input.changedIds ?? (run.read?.kind === 'incremental' ? undefined : run.changedIds?.userIds);
      const { changed, read } = await chooseSourceRead(deps, run, task, endpoints.source, requested);
      const partial = changed !== undefined;
      const rawSource = !partial
        ? await readWhole(endpoints.source, 'source')
        : changed.length === 0
          ? { departments: [], users: [] }
          : await readChangedSource(endpoints.source, changed, task.direction === 'downstream' && isScoped(task.config.scope));
      // Expressions run in the sandbox's threads, so this loop stays free to heartbeat; a cancelled
      // attempt (heartbeat timed out, worker shutting down) drops its mapping rather than finish it.
      const mapped = await mapUsers(compiled, rawSource.users, { mobileCountryCode, onProgress: (done) => heartbeat({ side: 'source', mapped: done }), signal: cancellationSignal() });
      const source = { departments: rawSource.departments, users: mapped.users };
      // A full read needs the unmapped people no more: a second copy of the source (100k people) while
      // the target is read and both are stored. A partial read still looks up their links below.
      if (!partial) rawSource.users.length = 0;
      const target = !partial
        ? await readWhole(endpoints.target, 'target')
        : changed.length === 0
          ? { departments: [], users: [] }
          : await readChangedTarget(deps, task.id, endpoints.target, rawSource, changed);
      await storeSnapshot(db, run.id, 'source', source);
      await storeSnapshot(db, run.id, 'target', target);
      await storeMappingFailures(db, run.id, mapped.failures);
      return {
        sourceRef: `${run.id}:source`,
        targetRef: `${run.id}:target`,
        read: { kind: read.kind, reason: read.reason, ...(read.changed !== undefined ? { changed: read.changed } : {}) },
        counts: {
          sourceDepartments: source.departments.length,
          sourceUsers: source.users.length,
          targetDepartments: target.departments.length,
          targetUsers: target.users.length,
        },
      };
    } catch (error) {
      throw toStepFailure(error);
    } finally {
      await closeEndpoints(endpoints);
    }
  };
}
