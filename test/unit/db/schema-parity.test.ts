import { getTableConfig as pgTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteTableConfig, type SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import * as pgSchema from '../../../src/db/schema.pg.js';
import * as sqliteSchema from '../../../src/db/schema.sqlite.js';

/** Repositories are written once for both dialects: the two schemas must agree table by table, column by column. */
type Shape = Record<string, { columns: Record<string, { notNull: boolean; primary: boolean }>; indexes: string[]; primaryKeys: string[][] }>;

/** What either dialect's getTableConfig tells about a table, reduced to what the two must share. */
interface TableConfig {
  name: string;
  columns: { name: string; notNull: boolean; primary: boolean }[];
  indexes: { config: { name?: string } }[];
  primaryKeys: { columns: { name: string }[] }[];
}

function shapeOf(schema: Record<string, unknown>, config: (table: never) => TableConfig): Shape {
  return Object.fromEntries(
    Object.values(schema).map((table) => {
      const c = config(table as never);
      return [
        c.name,
        {
          columns: Object.fromEntries(c.columns.map((col) => [col.name, { notNull: col.notNull, primary: col.primary }])),
          indexes: c.indexes.map((i) => i.config.name ?? '').sort(),
          primaryKeys: c.primaryKeys.map((pk) => pk.columns.map((col) => col.name)),
        },
      ];
    }),
  );
}

const pgShape = () => shapeOf(pgSchema, (t: PgTable) => pgTableConfig(t));
const sqliteShape = () => shapeOf(sqliteSchema, (t: SQLiteTable) => sqliteTableConfig(t));

describe('SQLite and PostgreSQL schemas', () => {
  it('have the same tables, columns, nullability, keys and indexes', () => {
    const pg = pgShape();
    const sqlite = sqliteShape();
    expect(Object.keys(pg).sort()).toEqual(Object.keys(sqlite).sort());
    for (const name of Object.keys(pg)) expect(pg[name], `table ${name}`).toEqual(sqlite[name]);
  });

  it('export the same table objects under the same names', () => {
    expect(Object.keys(pgSchema).sort()).toEqual(Object.keys(sqliteSchema).sort());
  });
});
