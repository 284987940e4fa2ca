/** Opening the SQLite database: WAL (for files), foreign keys, a busy timeout, Kysely on top. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteAdapter, SqliteDialect, type DialectAdapter } from 'kysely';
import { AppError } from '../errors.js';
import type { DB } from './schema.js';

/**
 * SQLite runs DDL inside transactions, but Kysely's SQLite adapter says it does not, so its
 * migrator would apply migrations outside one: a process killed mid-migration (a first start
 * interrupted) would leave a half-created schema that fails every later start. Saying yes makes
 * the migrator apply the pending migrations in one transaction: all of them or none.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class TransactionalDdlSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

export interface Database {
  db: Kysely<DB>;
  /** The raw handle, for pragmas and integrity checks. */
  sqlite: SQLite.Database;
  path: string;
  close(): Promise<void>;
}

export function openDatabase(path: string, options: { busyTimeoutMs?: number } = {}): Database {
  const inMemory = path === ':memory:' || path.startsWith('file::memory:');
  let sqlite: SQLite.Database;
  try {
    if (!inMemory) mkdirSync(dirname(path), { recursive: true });
    sqlite = new SQLite(path);
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unknown error';
    throw new AppError('CONFIG', `Cannot open the database at ${path} (${code})`, {
      cause: error,
      hint: 'set DB_PATH (or --db-path) to a file in a writable directory',
    });
  }
  if (!inMemory) sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
  sqlite.pragma('synchronous = NORMAL');
  const db = new Kysely<DB>({ dialect: new TransactionalDdlSqliteDialect({ database: sqlite }) });
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
