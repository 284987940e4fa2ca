/**
 * MCP Apps over the protocol, through real MCP clients: a client that declares the extension gets
 * the view bindings, the `ui://` resources and the chart data; any other client gets the same
 * listings and answers as before and costs the server no chart work.
 */
import { RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps';
import { EXTENSION_ID, getUiCapability } from '@modelcontextprotocol/ext-apps/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHART_META_KEY, type CandlesChart } from '../../src/charts/types.js';
import { UI_EXTENSION_ID, UI_MIME_TYPE } from '../../src/mcp/apps.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

const NOW = Date.parse('2026-11-20T12:34:56Z');
const APPS = { extensions: { [EXTENSION_ID]: { mimeTypes: [RESOURCE_MIME_TYPE] } } };
const VIEWS: Record<string, string> = {
  fetch_market_data: 'ui://cctrader/candles',
  fetch_technical_snapshot: 'ui://cctrader/candles',
  get_portfolio_status: 'ui://cctrader/portfolio',
  get_pnl_report: 'ui://cctrader/portfolio',
  get_signal_scorecard: 'ui://cctrader/scorecard',
  get_replay_report: 'ui://cctrader/replay',
};

let plain: TestDesk;
let apps: TestDesk;
beforeAll(async () => {
  [plain, apps] = await Promise.all([
    startTestDesk({ sim: { now: NOW }, env: { LOG_LEVEL: 'warn' } }),
    startTestDesk({ sim: { now: NOW }, env: { LOG_LEVEL: 'warn' }, clientCapabilities: APPS }),
  ]);
});
afterAll(async () => {
  await Promise.all([plain.close(), apps.close()]);
});

describe('the MCP Apps extension', () => {
  it('uses the extension’s own identifiers and declares it, with resources, in initialize', () => {
    expect(UI_EXTENSION_ID).toBe(EXTENSION_ID);
    expect(UI_MIME_TYPE).toBe(RESOURCE_MIME_TYPE);
    const caps = apps.client.getServerCapabilities() as Record<string, unknown> & { extensions?: Record<string, unknown> };
    expect(getUiCapability(caps as never)?.mimeTypes).toEqual([RESOURCE_MIME_TYPE]);
    expect(caps.resources).toBeDefined();
  });

  it('binds the six chart tools to their views only for a client that renders views, inside the tools/list budget', async () => {
    const bare = (await plain.client.listTools()).tools;
    expect(bare.filter((t) => t._meta)).toEqual([]);
    const bound = (await apps.client.listTools()).tools;
    const uris = Object.fromEntries(bound.filter((t) => t._meta).map((t) => [t.name, (t._meta as { ui: { resourceUri: string } }).ui.resourceUri]));
    expect(uris).toEqual(VIEWS);
    // Everything else is the same listing, byte for byte.
    expect(bound.map(({ _meta, ...rest }) => rest)).toEqual(bare);
    expect(Buffer.byteLength(JSON.stringify({ tools: bound }))).toBeLessThanOrEqual(15 * 1024);
  });

  it('lists and serves each view as one self-contained HTML page that loads nothing from the network', async () => {
    const resources = (await plain.client.listResources()).resources.filter((r) => r.uri.startsWith('ui://'));
    expect(resources.map((r) => r.uri).sort()).toEqual([...new Set(Object.values(VIEWS))].sort());
    for (const r of resources) {
      expect(r.mimeType).toBe(RESOURCE_MIME_TYPE);
      const { contents } = await apps.client.readResource({ uri: r.uri });
      expect(contents).toHaveLength(1);
      const c = contents[0] as { uri: string; mimeType: string; text: string; _meta?: { ui?: Record<string, unknown> } };
      expect(c.uri).toBe(r.uri);
      expect(c.mimeType).toBe(RESOURCE_MIME_TYPE);
      expect(/^<!doctype html>/i.test(c.text)).toBe(true);
      expect(c.text.length).toBeLessThan(600_000);
      // No external script, stylesheet, image or font, and no CSP allowance for one.
      expect(c.text).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\(\s*['"]?https?:/i);
      expect(c.text).toContain("default-src 'none'");
      expect(c._meta?.ui).toEqual({ prefersBorder: true });
      expect(c._meta?.ui?.csp).toBeUndefined();
    }
  });

  it('answers an unknown resource with the spec’s not-found error', async () => {
    await expect(apps.client.readResource({ uri: 'ui://cctrader/nope' })).rejects.toMatchObject({ code: -32002 });
  });

  it('gives the view the candles behind a snapshot in _meta, and the model the same answer as before', async () => {
    const args = { symbol: 'ETH/USDT', timeframes: ['15m', '1h', '4h'] };
    const [a, b] = await Promise.all([plain.call('fetch_technical_snapshot', args), apps.call('fetch_technical_snapshot', args)]);
    expect(b.isError, b.text).toBe(false);
    expect(b.text).toBe(a.text);
    expect(b.data).toEqual(a.data);
    expect(a.meta).toBeUndefined();
    const chart = b.meta?.[CHART_META_KEY] as CandlesChart;
    expect(chart.view).toBe('candles');
    expect(chart.panels.map((p) => p.timeframe)).toEqual(['15m', '1h', '4h']);
    for (const panel of chart.panels) {
      const tf = b.data.timeframes[panel.timeframe];
      expect(panel.t).toHaveLength(120);
      // The chart ends on the candle the analysis ended on, with the same EMAs and bands.
      expect(new Date(panel.t.at(-1)! * 1000).toISOString()).toBe(tf.asOf);
      expect(panel.c.at(-1)).toBe(tf.close);
      expect(panel.ema20.at(-1)).toBeCloseTo(tf.trend.ema.ema20, 0);
      expect(panel.ema50.at(-1)).toBeCloseTo(tf.trend.ema.ema50, 0);
      expect(panel.bbUpper.at(-1)).toBeCloseTo(tf.volatility.bollinger.upper, 0);
      expect(panel.support).toBe(b.data.keyLevels.support?.price ?? null);
      expect(panel.resistance).toBe(b.data.keyLevels.resistance?.price ?? null);
    }
    expect(chart.trade).toBeNull();
    // The chart data never reaches the model: it is not in the text.
    expect(b.text).not.toContain(CHART_META_KEY);
  });

  it('charts exactly the candles fetch_market_data summarised, plus the forming one', async () => {
    const r = await apps.call('fetch_market_data', { symbol: 'SOL/USDT', timeframe: '15m', lookback: 80, limit: 5 });
    expect(r.isError, r.text).toBe(false);
    const panel = (r.meta?.[CHART_META_KEY] as CandlesChart).panels[0]!;
    expect(panel.forming).toBe(r.data.forming !== null);
    expect(panel.t).toHaveLength(80 + (panel.forming ? 1 : 0));
    expect(new Date(panel.t[0]! * 1000).toISOString()).toBe(r.data.summary.from);
    expect(panel.c[79]).toBe(r.data.summary.close);
    // Indicators start on the first candle shown (warm-up read before it).
    expect(panel.ema50[0]).not.toBeNull();
    expect(panel.bbLower[0]).not.toBeNull();
  });
});
