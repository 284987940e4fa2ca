/** Running and inspecting the frozen migrations. */
import { Migrator, NO_MIGRATIONS, type Kysely, type MigrationResult } from 'kysely';
import { AppError } from '../errors.js';
import { migrations } from './migrations/index.js';

function migratorFor(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

export interface MigrationStatus {
  name: string;
  applied: boolean;
  executedAt: string | null;
}

function check(error: unknown, results: MigrationResult[] | undefined, what: string): MigrationResult[] {
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new AppError('INTERNAL', `Database ${what} failed${failed ? ` at ${failed}` : ''}`, {
      cause: error,
      hint: 'the database was left at the last migration that succeeded; see the log for the cause',
    });
  }
  return results ?? [];
}

export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const { error, results } = await migratorFor(db).migrateToLatest();
  return check(error, results, 'migration').map((r) => r.migrationName);
}

export async function migrateDown(db: Kysely<any>): Promise<string[]> {
  const { error, results } = await migratorFor(db).migrateDown();
  return check(error, results, 'rollback').map((r) => r.migrationName);
}

export async function migrateToNone(db: Kysely<any>): Promise<void> {
  const { error, results } = await migratorFor(db).migrateTo(NO_MIGRATIONS);
  check(error, results, 'rollback');
}

export async function migrationStatus(db: Kysely<any>): Promise<MigrationStatus[]> {
  const list = await migratorFor(db).getMigrations();
  return list.map((m) => ({
    name: m.name,
    applied: m.executedAt !== undefined,
    executedAt: m.executedAt ? m.executedAt.toISOString() : null,
  }));
}

/** Every migration, none applied: the status of a database not created yet. */
export function pendingMigrations(): MigrationStatus[] {
  return Object.keys(migrations)
    .sort()
    .map((name) => ({ name, applied: false, executedAt: null }));
}
