import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrateToLatest, migrateToNone, migrationStatus } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';

const ORIGINAL_TABLES = [
  'agent_sessions',
  'movers_signals',
  'paper_portfolios',
  'paper_positions',
  'paper_trades',
  'token_usage',
  'token_sessions',
  'rate_limit_tracking',
];

async function tables(database: Database): Promise<string[]> {
  const rows = await sql<{
    name: string;
  }>`select name from sqlite_master where type = 'table' and name not like 'kysely_%' and name not like 'sqlite_%'`.execute(database.db);
  return rows.rows.map((r) => r.name).sort();
}

let database: Database | undefined;
afterEach(async () => {
  await database?.close();
  database = undefined;
});

describe('migrations', () => {
  it('create the original schema, roll back to nothing, and apply again', async () => {
    database = openDatabase(':memory:');
    await migrateToLatest(database.db);
    expect(await tables(database)).toEqual(expect.arrayContaining(ORIGINAL_TABLES));
    expect((await migrationStatus(database.db)).every((m) => m.applied)).toBe(true);

    await migrateToNone(database.db);
    expect(await tables(database)).toEqual([]);

    await migrateToLatest(database.db);
    expect(await tables(database)).toEqual(expect.arrayContaining(ORIGINAL_TABLES));
    expect((await migrationStatus(database.db)).map((m) => m.name)).toEqual(Object.keys(migrations));
  });

  it('turn on foreign keys and WAL for a file database', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(`${tmpdir()}/cctrader-db-`);
    database = openDatabase(`${dir}/nested/test.db`);
    expect(database.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(database.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(Number(database.sqlite.pragma('busy_timeout', { simple: true }))).toBeGreaterThan(0);
  });

  it('are frozen files that import nothing from src/', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = new URL('../../src/db/migrations/', import.meta.url);
    for (const file of readdirSync(dir).filter((f) => /^\d{4}_.*\.ts$/.test(f))) {
      const text = readFileSync(new URL(file, dir), 'utf8');
      const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      expect(
        imports.every((i) => i === 'kysely'),
        `${file} imports ${imports.join(', ')}`,
      ).toBe(true);
    }
  });
});
