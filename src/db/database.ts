/** Opening the SQLite database: WAL (for files), foreign keys, a busy timeout, Kysely on top. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteAdapter, SqliteDialect, type DialectAdapter } from 'kysely';
import { AppError, toAppError } from '../errors.js';
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

/**
 * Open (or create) the database. A file that cannot be used (corrupt, read-only, locked, a native
 * module built for another Node.js) fails with a coded error naming the file and what to do, and
 * nothing is changed. `readonly` opens an existing file for reading only (it must exist).
 */
export function openDatabase(path: string, options: { busyTimeoutMs?: number; readonly?: boolean } = {}): Database {
  const inMemory = path === ':memory:' || path.startsWith('file::memory:');
  let sqlite: SQLite.Database | undefined;
  try {
    if (!inMemory && !options.readonly) mkdirSync(dirname(path), { recursive: true });
    sqlite = new SQLite(path, options.readonly ? { readonly: true, fileMustExist: true } : {});
    sqlite.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    if (!inMemory && !options.readonly) sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    if (!options.readonly) sqlite.pragma('synchronous = NORMAL');
  } catch (error) {
    sqlite?.close();
    const mkdirFailed = ['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST'].includes((error as { code?: string }).code ?? '');
    if (mkdirFailed) {
      throw new AppError('DATABASE', `Cannot create the folder of the database ${path} (${(error as { code?: string }).code})`, {
        cause: error,
        hint: 'set DB_PATH (or --db-path) to a file in a writable directory',
      });
    }
    throw toAppError(error, { dbPath: path });
  }
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
