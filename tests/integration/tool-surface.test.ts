import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolRegistry } from '../../src/mcp/registry.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

let desk: TestDesk;
beforeAll(async () => {
  desk = await startTestDesk();
});
afterAll(async () => {
  await desk.close();
});

describe('tools/list', () => {
  it('matches the recorded surface (names, annotations, schemas)', async () => {
    const { tools } = await desk.client.listTools();
    await expect(JSON.stringify(tools, null, 2)).toMatchFileSnapshot('./__snapshots__/tools-list.json');
  });

  it('sets all four annotation hints and an output schema on every tool', async () => {
    const { tools } = await desk.client.listTools();
    for (const tool of tools) {
      expect(tool.name).toMatch(/^[a-z][a-z0-9_]*$/);
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
        expect(typeof tool.annotations?.[hint], `${tool.name}.${hint}`).toBe('boolean');
      }
      expect(tool.outputSchema?.type).toBe('object');
      expect(tool.description!.length).toBeGreaterThan(40);
    }
  });

  // tools/list is paid for in every conversation. The house budget is about 12 KB; the desk has
  // grown to 17 tools, each with all four annotations, a title and an output schema, so the whole
  // surface is held to 15 KB (a popular ccxt MCP server spends 12.7 KB on 24 tools with neither
  // annotations nor output schemas).
  it('stays inside its token budget', async () => {
    const { tools } = await desk.client.listTools();
    const bytes = Buffer.byteLength(JSON.stringify({ tools }));
    expect(bytes).toBeLessThanOrEqual(15 * 1024);
  });

  // Hosts such as Claude Code defer tools behind a search: a tool must be found by the words a
  // user would type, in its title or the first sentence of its description.
  it('is found by the words a user searches for', async () => {
    const { tools } = await desk.client.listTools();
    const find = (word: string) =>
      tools.filter((t) => `${t.title} ${t.description!.split(/(?<=\.)\s/)[0]}`.toLowerCase().includes(word.toLowerCase())).map((t) => t.name);
    const expected: Record<string, string[]> = {
      price: ['get_current_price'],
      candles: ['fetch_market_data'],
      indicators: ['fetch_technical_snapshot', 'analyze_trend', 'analyze_momentum', 'analyze_volatility'],
      patterns: ['analyze_patterns'],
      sentiment: ['fetch_sentiment_data'],
      news: ['fetch_sentiment_data'],
      gainers: ['scan_market_movers'],
      signal: ['submit_trading_signal', 'get_signal_history', 'get_signal_scorecard'],
      portfolio: ['get_portfolio_status'],
      'P&L': ['get_pnl_report', 'get_portfolio_status'],
      risk: ['get_risk_status'],
      close: ['close_position'],
      backtest: ['get_replay_report'],
      spend: ['get_token_report'],
    };
    for (const [word, names] of Object.entries(expected)) expect(find(word), word).toEqual(expect.arrayContaining(names));
  });

  it('is exactly the table in the README', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.split('## Tools')[1]?.split('\n## ')[0] ?? '';
    const documented = [...section.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(toolRegistry.map((t) => t.name).sort());
  });

  it('answers an unknown tool with a coded error', async () => {
    const r = await desk.call('place_real_order', { symbol: 'BTC/USDT' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/^NOT_FOUND: /);
  });
});

describe('README settings table', () => {
  it('documents exactly the settings the configuration schema accepts', async () => {
    const { configSchema } = await import('../../src/config.js');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.split('## Settings')[1]?.split('\n## ')[0] ?? '';
    const documented = [...section.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(Object.keys(configSchema.shape).sort());
  });
});
