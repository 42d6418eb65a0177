// Who may write what in a sync task: an operator edits tasks, but only an admin may change how
// deletions are protected (a weaker setting lets the next run delete with nobody asked) or reset
// a task's links and open items.
import type { TaskWriteRules } from '../db/repos/sync-tasks';
import type { ProtectionField } from '../engine/task-repointing';
import type { Actor } from './auth';
import { ApiError } from './errors';

/** The repository's write rules for this principal; `resetLinks` comes from the PATCH body. */
export function taskWriteRulesFor(actor: Actor, options: { resetLinks?: boolean } = {}): TaskWriteRules {
  // Cancelling every staged deletion and dropping every link is a protection decision too.
  if (options.resetLinks === true && actor.role !== 'admin') {
    throw new ApiError(403, 'forbidden', 'only an admin may send resetLinks (it cancels the open pending deletions and drops the links)', 'resetLinks');
  }
  return {
    resetLinks: options.resetLinks === true,
    authorizeProtectionChange(fields: ProtectionField[]) {
      if (actor.role === 'admin' || fields.length === 0) return;
      throw new ApiError(403, 'forbidden', `only an admin may change ${fields.join(', ')} (deletion protection settings)`, fields[0]);
    },
  };
}

/** A PATCH body's `resetLinks` flag (not part of the task configuration) and the configuration patch without it. */
export function takeResetLinks(body: Record<string, unknown>): { resetLinks: boolean; patch: Record<string, unknown> } {
  const { resetLinks, ...patch } = body;
  if (resetLinks !== undefined && typeof resetLinks !== 'boolean') throw new ApiError(400, 'validation_failed', 'resetLinks: expected a boolean', 'resetLinks');
  return { resetLinks: resetLinks === true, patch };
}
