import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { createScratchDatabase } from '../helpers/db.js';

/** What the migrations actually built on each dialect — hand-written SQL included — must match. */
describe('migrated databases', () => {
  it('have the same tables and columns on SQLite and PostgreSQL', async () => {
    const scratch = await createScratchDatabase();
    const sqlite = await openDatabase({ kind: 'sqlite', path: join(process.cwd(), '.tmp', 'test', `parity-${randomUUID()}.db`), lockTimeoutMs: 1000 });
    const pg = await openDatabase({ kind: 'postgres', url: scratch.url, poolSize: 2, statementTimeoutMs: 5000, connectTimeoutMs: 5000 });
    try {
      const onSqlite = await sqlite.rows<{ t: string; c: string }>(
        sql`select m.name as t, p.name as c from sqlite_master m join pragma_table_info(m.name) p
             where m.type = 'table' and m.name not like 'sqlite_%' and m.name not like '__drizzle%' order by 1, 2`,
      );
      const onPg = await pg.rows<{ t: string; c: string }>(
        sql`select table_name as t, column_name as c from information_schema.columns where table_schema = 'public' order by 1, 2`,
      );
      const key = (rows: { t: string; c: string }[]) => rows.map((r) => `${r.t}.${r.c}`).sort();
      expect(onSqlite.length).toBeGreaterThan(40);
      expect(key(onPg)).toEqual(key(onSqlite));
    } finally {
      await sqlite.close();
      await pg.close();
      await scratch.drop();
    }
  });
});
