import { sql } from 'drizzle-orm';
import { hubDepartments } from './schema';
import { describeOnBothDatabases } from '../test/support/databases';

describeOnBothDatabases('database client', (ctx) => {
  it('applies the committed migrations and round-trips a row', async () => {
    await ctx.database.ping();
    await ctx.database.db.insert(hubDepartments).values({ id: 'd1', name: 'R&D', parentId: null, leaderIds: ['u1'] });
    const rows = await ctx.database.db.select().from(hubDepartments);
    expect(rows).toEqual([expect.objectContaining({ id: 'd1', name: 'R&D', leaderIds: ['u1'] })]);
    const tables = await ctx.database.db.execute(sql`select count(*)::int as n from information_schema.tables where table_name in ('hub_users','api_tokens','audit_log')`);
    const first = (Array.isArray(tables) ? tables[0] : (tables as { rows: unknown[] }).rows[0]) as { n: number };
    expect(first.n).toBe(3);
  });
});
