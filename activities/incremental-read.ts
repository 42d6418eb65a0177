// Which read a run's snapshot step does: only the changes since the task's watermark (a scheduled run
// of an upstream task with `incremental` on, within fullRunEveryHours of the last full read), else
// the whole source; and the watermark a success of the run stores (finishRun).
import { createHash } from 'node:crypto';
import type { Connector } from '../connectors/types';
import type { ReadWatermark } from '../db/repos/read-watermarks';
import type { TaskConfig } from '../engine/task-config';
import type { RunTrigger, SyncDirection } from './types';

export type ReadDecision =
  | { kind: 'full'; reason: string; /** take a watermark before the read, for the incremental runs after it */ takeWatermark: boolean }
  | { kind: 'incremental'; reason: string; since: string };

export interface ReadDecisionInput {
  trigger: RunTrigger;
  direction: SyncDirection;
  incremental: TaskConfig['incremental'];
  /** the source connector can list changes */
  capable: boolean;
  stored: Pick<ReadWatermark, 'watermark' | 'fullReadAt' | 'readConfig'> | undefined;
  readConfig: string;
  now: Date;
}

export function decideRead(input: ReadDecisionInput): ReadDecision {
  if (input.direction !== 'upstream' || !input.incremental?.enabled) return { kind: 'full', reason: 'incremental reads are off', takeWatermark: false };
  if (!input.capable) return { kind: 'full', reason: 'the source cannot list changes', takeWatermark: false };
  const full = (reason: string): ReadDecision => ({ kind: 'full', reason, takeWatermark: true });
  // Only a full read sees deletions: a person asking for a run by hand gets one.
  if (input.trigger !== 'schedule') return full(`${input.trigger} run`);
  if (!input.stored) return full('no watermark yet (first run, or none succeeded)');
  if (input.stored.readConfig !== input.readConfig) return full('the source settings or field mapping changed since the last full read');
  const hours = input.incremental.fullRunEveryHours;
  if (input.now.getTime() >= input.stored.fullReadAt.getTime() + hours * 3_600_000) return full(`full run due (every ${hours} h)`);
  return { kind: 'incremental', reason: 'scheduled: the changes since the last successful run', since: input.stored.watermark };
}

/** Both halves of the capability, or none. */
export function changeReader(source: Connector): Required<Pick<Connector, 'changeWatermark' | 'readChangesSince'>> | undefined {
  if (!source.capabilities.incrementalReads || !source.changeWatermark || !source.readChangesSince) return undefined;
  return { changeWatermark: source.changeWatermark.bind(source), readChangesSince: source.readChangesSince.bind(source) };
}

/** Stable JSON (sorted keys), so a setting stored in another key order hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * What a watermark is valid for: the source's settings (base DN, filter, …) and the field mapping.
 * Entries a new filter or mapping takes in did not change, so only a full read brings them.
 */
export function readConfigHash(config: Pick<TaskConfig, 'fieldMapping'> & { connector: { kind: string; settings?: Record<string, unknown> } }): string {
  const subject = canonical({ kind: config.connector.kind, settings: config.connector.settings ?? {}, fieldMapping: config.fieldMapping ?? [] });
  return createHash('sha256').update(subject).digest('hex').slice(0, 32);
}
