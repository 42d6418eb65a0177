// Opened connectors kept per task for the life of the worker process, so consecutive apply batches
// share one access token and one rate limiter instead of building both again per batch. Secrets
// live only inside the connector instances; the cache key is a digest of the sealed settings.
import { createHash } from 'node:crypto';
import type { TaskEndpoints } from '../connectors/registry';
import type { TaskRecord } from './task';

export interface EndpointsLease {
  endpoints: TaskEndpoints;
  /** hands the endpoints back; they stay open for the next batch */
  release(): Promise<void>;
}

interface Entry {
  fingerprint: string;
  endpoints: TaskEndpoints;
  leases: number;
  lastUsed: number;
  retired: boolean;
}

export interface EndpointsCacheOptions {
  open: (task: TaskRecord) => TaskEndpoints;
  close: (endpoints: TaskEndpoints) => Promise<void>;
  /** endpoints unused this long are closed at the next lease (default 10 minutes) */
  idleMs?: number;
  now?: () => number;
}

/** Changes whenever the task's connector would be built differently (settings, secrets, direction). */
export function endpointsFingerprint(task: TaskRecord): string {
  return createHash('sha256')
    .update(JSON.stringify([task.direction, task.connectorKind, task.config.connector?.settings ?? {}, task.secretsSealed]))
    .digest('hex');
}

export class EndpointsCache {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly options: EndpointsCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  async lease(task: TaskRecord): Promise<EndpointsLease> {
    // The map is settled synchronously before anything is awaited, so concurrent leases share one entry.
    const toClose = this.takeIdle();
    const fingerprint = endpointsFingerprint(task);
    let entry = this.entries.get(task.id);
    if (entry && entry.fingerprint !== fingerprint) {
      // The task was edited: later batches use the new settings, running ones finish on the old.
      this.entries.delete(task.id);
      entry.retired = true;
      if (entry.leases === 0) toClose.push(entry.endpoints);
      entry = undefined;
    }
    if (!entry) {
      let endpoints: TaskEndpoints;
      try {
        endpoints = this.options.open(task);
      } catch (error) {
        await Promise.all(toClose.map((old) => this.options.close(old)));
        throw error;
      }
      entry = { fingerprint, endpoints, leases: 0, lastUsed: this.now(), retired: false };
      this.entries.set(task.id, entry);
    }
    const leased = entry;
    leased.leases += 1;
    await Promise.all(toClose.map((endpoints) => this.options.close(endpoints)));
    let released = false;
    return {
      endpoints: leased.endpoints,
      release: async () => {
        if (released) return;
        released = true;
        leased.leases -= 1;
        leased.lastUsed = this.now();
        if (leased.retired && leased.leases === 0) await this.options.close(leased.endpoints);
      },
    };
  }

  /** Number of tasks with open endpoints (for tests). */
  get size(): number {
    return this.entries.size;
  }

  private takeIdle(): TaskEndpoints[] {
    const idleMs = this.options.idleMs ?? 10 * 60_000;
    const idle: TaskEndpoints[] = [];
    for (const [taskId, entry] of this.entries) {
      if (entry.leases > 0 || this.now() - entry.lastUsed < idleMs) continue;
      this.entries.delete(taskId);
      idle.push(entry.endpoints);
    }
    return idle;
  }
}
