/** Opening the SQLite database: WAL (for files), foreign keys, a busy timeout, Kysely on top. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { DB } from './schema.js';

export interface Database {
  db: Kysely<DB>;
  /** The raw handle, for pragmas and integrity checks. */
  sqlite: SQLite.Database;
  path: string;
  close(): Promise<void>;
}

export function openDatabase(path: string, options: { busyTimeoutMs?: number } = {}): Database {
  const inMemory = path === ':memory:' || path.startsWith('file::memory:');
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SQLite(path);
  if (!inMemory) sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
  sqlite.pragma('synchronous = NORMAL');
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }) });
  let closed = false;
  return {
    db,
    sqlite,
    path,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy(); // closes the better-sqlite3 handle too
    },
  };
}
