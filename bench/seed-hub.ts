// Puts a synthetic directory into the hub tables with bulk inserts. The repositories validate and
// audit one entity per transaction, which is right for the API and minutes too slow for 10k rows.
import type { Db } from '../db/client';
import { hubDepartments, hubUsers } from '../db/schema';
import type { DirectorySnapshot } from '../engine/model';

const chunkSize = 1000;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += chunkSize) out.push(items.slice(i, i + chunkSize));
  return out;
}

export async function seedHub(db: Db, directory: DirectorySnapshot): Promise<void> {
  await db.transaction(async (tx) => {
    for (const part of chunks(directory.departments)) {
      await tx.insert(hubDepartments).values(part.map((d) => ({ id: d.id, name: d.name, parentId: d.parentId, order: d.order, leaderIds: d.leaderIds })));
    }
    for (const part of chunks(directory.users)) {
      await tx.insert(hubUsers).values(
        part.map((u) => ({
          id: u.id,
          username: u.username,
          name: u.name,
          email: u.email,
          mobile: u.mobile,
          employeeNumber: u.employeeNumber,
          title: u.title,
          departmentIds: u.departmentIds,
          mainDepartmentId: u.mainDepartmentId,
          managerId: u.managerId,
          status: u.status,
          attributes: u.attributes,
        })),
      );
    }
  });
}
