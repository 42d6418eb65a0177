// The task a scim token pushes as: a live, enabled upstream task of kind scim-push. Every write is
// that task's (audit actor `sync:<taskId>`, the people it creates belong to it) and goes through
// its field mapping.
import type { Db } from '../../db/client';
import { findLiveTask, type StoredTask } from '../../db/repos/task-rows';
import { compileFieldMapping, mapUsers, type CompiledFieldMapping } from '../../engine/field-mapping';
import type { User } from '../../engine/model';
import type { Actor } from '../auth';
import { ScimError } from './errors';

export interface PushTask {
  task: StoredTask;
  /** the audit actor of its writes, as for its runs */
  actor: string;
  /** the task's mapping applied to a user about to be written */
  map(user: User): Promise<User>;
}

const compiledByConfig = new WeakMap<object, CompiledFieldMapping>();

export async function pushTaskOf(db: Db, actor: Actor): Promise<PushTask> {
  const task = actor.taskId ? await findLiveTask(db, actor.taskId) : undefined;
  if (!task || task.connectorKind !== 'scim-push') throw new ScimError(403, 'the token is bound to no live scim-push task');
  if (!task.enabled) throw new ScimError(403, `sync task ${task.id} is disabled: it accepts no push`);
  const entries = task.config.fieldMapping ?? [];
  return {
    task,
    actor: `sync:${task.id}`, // activities/task.ts runActor: the same actor as the task's runs
    async map(user) {
      if (entries.length === 0) return user;
      let compiled = compiledByConfig.get(task.config);
      if (!compiled) compiledByConfig.set(task.config, (compiled = compileFieldMapping(entries)));
      const { users, failures } = await mapUsers(compiled, [user]);
      if (failures[0] || !users[0]) throw new ScimError(400, `the task's field mapping failed: ${failures[0]?.reason ?? 'no user'}`, 'invalidValue');
      // The mapper builds attributes without a prototype; drizzle wants a plain object.
      return { ...users[0], attributes: { ...users[0].attributes } };
    },
  };
}
