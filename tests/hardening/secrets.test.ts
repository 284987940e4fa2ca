/**
 * Canary secrets in the environment never appear in any tool output, log line, error or report,
 * even when an upstream service echoes them back (the fake Perplexity answers a wrong key with
 * "Invalid API key: Bearer <key>").
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolRegistry } from '../../src/mcp/registry.js';
import { startFakePerplexity, type FakePerplexity } from '../fakes/perplexity.js';
import { runCliInProcess } from '../helpers/cli.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

const CANARIES = {
  BYBIT_API_KEY: 'canary-bybit-key-7f3a91',
  BYBIT_API_SECRET: 'canary-bybit-secret-2c8e44',
  ANTHROPIC_API_KEY: 'sk-ant-canary-5d1b07',
  PERPLEXITY_API_KEY: 'pplx-canary-9e6f12',
  CCTRADER_HTTP_TOKEN: 'canary-http-token-0123456789',
};

/** Arguments that make each tool do real work (the default is a symbol). */
const ARGS: Record<string, Record<string, unknown>> = {
  submit_trading_signal: { symbol: 'BTC/USDT', direction: 'long', confidence: 80, entry_price: 1, stop_loss: 0.9, take_profit: 1.3, analysis: 'canary test' },
  close_position: { symbol: 'BTC/USDT' },
  get_pnl_report: {},
  get_signal_history: {},
  get_risk_status: {},
  get_portfolio_status: {},
  scan_market_movers: {},
};

let perplexity: FakePerplexity;
let desk: TestDesk;
const seen: string[] = [];

beforeAll(async () => {
  perplexity = await startFakePerplexity({ apiKey: 'the-right-key' });
  desk = await startTestDesk({ env: { ...CANARIES, PERPLEXITY_BASE_URL: perplexity.url, ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' } });
});
afterAll(async () => {
  await desk.close();
  await perplexity.close();
});

describe('canary secrets', () => {
  it('never appear in tool answers, errors or log lines', async () => {
    for (const tool of toolRegistry) {
      const r = await desk.call(tool.name, ARGS[tool.name] ?? { symbol: 'BTC/USDT' });
      seen.push(r.text, JSON.stringify(r.data ?? null));
    }
    // The news source was really called with the canary key, and the fake echoed it back.
    expect(perplexity.requests.some((q) => q.authorization === `Bearer ${CANARIES.PERPLEXITY_API_KEY}`)).toBe(true);
    // Error paths too: an exchange fault and bad input.
    desk.sim.faults.inject({ kind: 'http500', count: Infinity, pathPrefix: '/v5/market/kline' });
    seen.push((await desk.call('fetch_market_data', { symbol: 'ETH/USDT', timeframe: '1d' })).text);
    desk.sim.faults.clear();
    seen.push((await desk.call('get_current_price', { symbol: CANARIES.BYBIT_API_KEY })).text);
    seen.push(...desk.logs);
    const all = seen.join('\n');
    expect(all.length).toBeGreaterThan(1000);
    for (const [name, value] of Object.entries(CANARIES)) expect(all.toLowerCase(), name).not.toContain(value.toLowerCase());
  });

  it('never appear in command output or logs, even at debug level', async () => {
    const env = {
      ...CANARIES,
      EXCHANGE_BASE_URL: desk.sim.url,
      DB_PATH: join(mkdtempSync(join(tmpdir(), 'cctrader-canary-')), 'desk.db'),
      EXCHANGE_RATE_LIMIT: 'false',
      LOG_LEVEL: 'debug',
      PERPLEXITY_BASE_URL: perplexity.url,
      ANALYST: 'rules',
    };
    const runs = [
      await runCliInProcess(['config'], env),
      await runCliInProcess(['config', '--json'], env),
      await runCliInProcess(['scan-movers', '--once', '--max-movers', '3', '--json'], env),
      await runCliInProcess(['status'], env),
      await runCliInProcess(['signals', '--json'], env),
      await runCliInProcess(['pnl-report', '--json'], env),
      await runCliInProcess(['db', 'status'], env),
    ];
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const all = runs.map((r) => r.stdout + r.stderr).join('\n');
    for (const [name, value] of Object.entries(CANARIES)) expect(all.toLowerCase(), name).not.toContain(value.toLowerCase());
  }, 60_000);
});
