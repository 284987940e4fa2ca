import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export function registerDb(program: Command, ctx: CliContext): void {
  const db = program.command('db').description('database status and migrations');

  db.command('status')
    .description('show the database path and which migrations are applied (a missing database is reported, not created)')
    .option('--json', 'print one JSON document')
    .action(async (opts: { json?: boolean }) => {
      const { existsSync } = await import('node:fs');
      const { openDatabase } = await import('../../db/database.js');
      const { migrationStatus, pendingMigrations } = await import('../../db/migrate.js');
      const config = ctx.config();
      const path = config.DB_PATH ?? ':memory:';
      if (path !== ':memory:' && !existsSync(path)) {
        const migrations = pendingMigrations();
        if (opts.json) return ctx.json({ path, exists: false, migrations, pending: migrations.length });
        ctx.out(`database: ${path}`);
        return ctx.out(`not created yet: the first command that needs it creates it and applies ${migrations.length} migrations`);
      }
      const database = openDatabase(path, { readonly: path !== ':memory:' });
      try {
        const migrations = await migrationStatus(database.db);
        const pending = migrations.filter((m) => !m.applied).length;
        if (opts.json) return ctx.json({ path: database.path, exists: true, migrations, pending });
        ctx.out(`database: ${database.path}`);
        for (const m of migrations) ctx.out(`  ${m.applied ? '✔' : '·'} ${m.name}${m.executedAt ? `  (${m.executedAt})` : '  pending'}`);
        ctx.out(pending ? `${pending} pending: run \`cctrader db migrate\`` : 'up to date');
      } finally {
        await database.close();
      }
    });

  db.command('migrate')
    .description('apply pending migrations (the server also does this at start-up)')
    .option('--json', 'print one JSON document')
    .action(async (opts: { json?: boolean }) => {
      const { openDatabase } = await import('../../db/database.js');
      const { migrateToLatest } = await import('../../db/migrate.js');
      const config = ctx.config();
      const database = openDatabase(config.DB_PATH ?? ':memory:');
      try {
        const applied = await migrateToLatest(database.db);
        if (opts.json) return ctx.json({ path: database.path, applied });
        ctx.out(applied.length ? `applied: ${applied.join(', ')}` : 'nothing to apply: up to date');
      } finally {
        await database.close();
      }
    });
}
