/** Daily sessions on a real SQLite file, and what the `claude` child is given: no binary here. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentChildEnv, agentDirs } from '../../src/agent/claude-backend.js';
import { getOrCreateDailySession, listDailySessions, recordDailySessionRun, sessionForAnalysis } from '../../src/agent/sessions.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';

const at = (iso: string) => ({ now: () => Date.parse(iso) });
let a: Database;
let b: Database;

beforeAll(async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'cctrader-sessions-')), 'desk.db');
  a = openDatabase(file);
  await migrateToLatest(a.db);
  b = openDatabase(file); // a second connection, as a second process would have
});
afterAll(async () => {
  await a.close();
  await b.close();
});

describe('daily sessions', () => {
  it('one session per operation and UTC day, shared by every connection, recorded with its uses', async () => {
    const first = await getOrCreateDailySession(a.db, 'scanner', at('2026-11-20T00:00:05Z'));
    expect(first).toMatchObject({ key: 'scanner-2026-11-20', resume: false });
    const second = await getOrCreateDailySession(b.db, 'scanner', at('2026-11-20T23:59:59Z'));
    expect(second).toMatchObject({ key: 'scanner-2026-11-20', resume: true, sessionId: first.sessionId });
    // Another operation, same day: its own session.
    const monitor = await getOrCreateDailySession(a.db, 'monitor', at('2026-11-20T12:00:00Z'));
    expect(monitor.resume).toBe(false);
    expect(monitor.sessionId).not.toBe(first.sessionId);
    // The next UTC day.
    const next = await getOrCreateDailySession(a.db, 'scanner', at('2026-11-21T00:00:00Z'));
    expect(next).toMatchObject({ key: 'scanner-2026-11-21', resume: false });

    await recordDailySessionRun(a.db, first.key, { totalCostUsd: 0.25, usageExact: true }, at('2026-11-20T23:59:59Z'));
    const listed = await listDailySessions(b.db);
    expect(listed.map((s) => s.key)).toEqual(['scanner-2026-11-21', 'monitor-2026-11-20', 'scanner-2026-11-20']);
    expect(listed[2]).toMatchObject({
      operation: 'scanner',
      day: '2026-11-20',
      uses: 2,
      runs: 1,
      totalCostUsd: 0.25,
      lastUsedAt: Date.parse('2026-11-20T23:59:59Z'),
    });
  });

  it('concurrent first calls (parallel analyses) agree on one session', async () => {
    const clock = at('2026-12-01T08:00:00Z');
    const all = await Promise.all([1, 2, 3, 4].map(() => getOrCreateDailySession(a.db, 'analysis', clock)));
    expect(new Set(all.map((s) => s.sessionId)).size).toBe(1);
    expect(all.filter((s) => !s.resume)).toHaveLength(1);
  });

  it('without daily mode every analysis is a fresh session', async () => {
    expect(await sessionForAnalysis(a.db, 'scanner', at('2026-12-02T00:00:00Z'), false)).toEqual({ mode: 'new' });
    const start = await sessionForAnalysis(a.db, 'scanner', at('2026-12-02T00:00:00Z'), true);
    const later = await sessionForAnalysis(a.db, 'scanner', at('2026-12-02T01:00:00Z'), true);
    expect(start.mode).toBe('new');
    expect(later).toEqual({ mode: 'resume', sessionId: start.sessionId });
  });
});

describe('the claude child', () => {
  it('gets our key, base URL and config dir, the quiet switches, and none of the desk secrets or foreign Claude settings', () => {
    const env = agentChildEnv({
      baseEnv: {
        PATH: '/usr/bin',
        HOME: '/home/u',
        HTTPS_PROXY: 'http://proxy:3128',
        ANTHROPIC_AUTH_TOKEN: 'someone-elses-token',
        ANTHROPIC_MODEL: 'claude-opus-4-1',
        CLAUDE_CONFIG_DIR: '/home/u/.claude',
        CLAUDE_CODE_USE_BEDROCK: '1',
        BYBIT_API_SECRET: 'exchange-secret',
        PERPLEXITY_API_KEY: 'pplx-secret',
        CCTRADER_HTTP_TOKEN: 'http-token-0123456789',
        UNSET: undefined,
      },
      apiKey: 'sk-ant-ours',
      baseUrl: 'http://127.0.0.1:9999',
      configDir: '/data/agent/config',
      maxRetries: 1,
    });
    expect(env).toMatchObject({
      PATH: '/usr/bin',
      HOME: '/home/u',
      HTTPS_PROXY: 'http://proxy:3128',
      ANTHROPIC_API_KEY: 'sk-ant-ours',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:9999',
      CLAUDE_CONFIG_DIR: '/data/agent/config',
      CLAUDE_CODE_MAX_RETRIES: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_ERROR_REPORTING: '1',
    });
    const shown = JSON.stringify(env);
    for (const leaked of [
      'someone-elses-token',
      'claude-opus-4-1',
      '/home/u/.claude',
      'CLAUDE_CODE_USE_BEDROCK',
      'exchange-secret',
      'pplx-secret',
      'http-token',
      'UNSET',
    ]) {
      expect(shown).not.toContain(leaked);
    }
  });

  it('keeps its folder next to the database unless AGENT_DIR says otherwise', () => {
    expect(agentDirs({ DB_PATH: '/data/cctrader/cctrader.db' }, '/tmp')).toEqual({
      configDir: '/data/cctrader/agent/config',
      cwd: '/data/cctrader/agent/workspace',
    });
    expect(agentDirs({ DB_PATH: '/data/x.db', AGENT_DIR: '/srv/agent' }, '/tmp')).toEqual({ configDir: '/srv/agent/config', cwd: '/srv/agent/workspace' });
    expect(agentDirs({ DB_PATH: ':memory:' }, '/tmp')).toEqual({ configDir: '/tmp/cctrader-agent/config', cwd: '/tmp/cctrader-agent/workspace' });
  });
});
