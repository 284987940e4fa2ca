/** The sentiment cache, and usage rows for the reports (migration 0003 + recordLlmUsage). */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrateDown, migrateToLatest } from '../../src/db/migrate.js';
import { TtlCache } from '../../src/sentiment/cache.js';
import { recordLlmUsage } from '../../src/usage/record.js';

describe('TtlCache', () => {
  it('reuses a value until it expires, and shares a load in flight', async () => {
    let now = 0;
    let loads = 0;
    const cache = new TtlCache<number>(1000, () => now);
    const load = async () => {
      loads += 1;
      await new Promise((r) => setTimeout(r, 10));
      return loads;
    };
    const [a, b] = await Promise.all([cache.get('k', load), cache.get('k', load)]);
    expect([a.value, b.value, loads]).toEqual([1, 1, 1]);
    expect([a.cached, b.cached]).toEqual([false, true]);
    now = 999;
    expect(await cache.get('k', load)).toEqual({ value: 1, cached: true });
    now = 1000;
    expect(await cache.get('k', load)).toEqual({ value: 2, cached: false });
  });

  it('forgets failures at once', async () => {
    const cache = new TtlCache<number>(1000, () => 0);
    await expect(cache.get('k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await cache.get('k', async () => 7)).toEqual({ value: 7, cached: false });
  });

  it('with a TTL of 0 never keeps a value', async () => {
    let loads = 0;
    const cache = new TtlCache<number>(0, () => 0);
    await cache.get('k', async () => ++loads);
    await cache.get('k', async () => ++loads);
    expect(loads).toBe(2);
  });
});

describe('token_usage for several providers', () => {
  let database: Database | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
  });

  async function columns(db: Database): Promise<string[]> {
    const rows = await sql<{ name: string }>`select name from pragma_table_info('token_usage')`.execute(db.db);
    return rows.rows.map((r) => r.name);
  }

  it('records a Perplexity call once per message id; older rows read as anthropic', async () => {
    database = openDatabase(':memory:');
    await migrateToLatest(database.db);
    await sql`insert into token_usage (operation_type, tokens_input, created_at) values ('analysis', 10, 1)`.execute(database.db);
    const usage = {
      provider: 'perplexity' as const,
      operationType: 'sentiment',
      model: 'sonar',
      inputTokens: 1200,
      outputTokens: 300,
      costUsd: '0.0065',
      at: 2,
      messageId: 'cmpl-1',
      symbol: 'BTC/USDT:USDT',
    };
    await recordLlmUsage(database.db, usage);
    await recordLlmUsage(database.db, usage);
    await recordLlmUsage(database.db, { ...usage, messageId: null });
    const rows = await database.db.selectFrom('token_usage').selectAll().orderBy('id').execute();
    expect(rows.map((r) => [r.provider, r.message_id])).toEqual([
      ['anthropic', null],
      ['perplexity', 'cmpl-1'],
      ['perplexity', null],
    ]);
    expect(rows[1]).toMatchObject({ tokens_input: 1200, tokens_output: 300, cache_read_tokens: 0, cost_usd: '0.0065', symbol: 'BTC/USDT:USDT' });
    await expect(recordLlmUsage(database.db, { ...usage, costUsd: '1e-3' })).rejects.toThrow(/decimal string/);
  });

  it('migration 0003 rolls back to the original columns', async () => {
    database = openDatabase(':memory:');
    await migrateToLatest(database.db);
    expect(await columns(database)).toEqual(expect.arrayContaining(['provider', 'cache_read_tokens', 'cache_write_tokens', 'symbol', 'message_id']));
    // Later migrations are undone first.
    const undone: string[] = [];
    for (let i = 0; i < 10 && !undone.includes('0003_llm_usage_provider'); i++) undone.push(...(await migrateDown(database.db)));
    expect(undone.at(-1)).toBe('0003_llm_usage_provider');
    expect(await columns(database)).not.toContain('provider');
    await migrateToLatest(database.db);
    expect(await columns(database)).toContain('message_id');
  });
});
