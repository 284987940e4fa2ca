/* Frozen migration: token_usage learns which provider a row is about (anthropic, perplexity),
 * prompt-cache tokens, the symbol an analysis was about, and the provider's message id so that one
 * message is counted once. Existing rows are the original system's Anthropic usage. Never edit
 * after release; add a new file. */
import type { Kysely } from 'kysely';

const COLUMNS: Array<[string, 'text' | 'integer', string | number | null]> = [
  ['provider', 'text', 'anthropic'],
  ['cache_read_tokens', 'integer', 0],
  ['cache_write_tokens', 'integer', 0],
  ['symbol', 'text', null],
  ['message_id', 'text', null],
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const [name, type, dflt] of COLUMNS) {
    await db.schema
      .alterTable('token_usage')
      .addColumn(name, type, (c) => (dflt === null ? c : c.notNull().defaultTo(dflt)))
      .execute();
  }
  await db.schema.createIndex('token_usage_provider_time').on('token_usage').columns(['provider', 'created_at']).execute();
  await db.schema
    .createIndex('token_usage_provider_message')
    .on('token_usage')
    .columns(['provider', 'message_id'])
    .unique()
    .where('message_id', 'is not', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('token_usage_provider_message').execute();
  await db.schema.dropIndex('token_usage_provider_time').execute();
  for (const [name] of [...COLUMNS].reverse()) await db.schema.alterTable('token_usage').dropColumn(name).execute();
}
