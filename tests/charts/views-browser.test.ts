/**
 * The chart views as a person sees them, in headless Chromium (Debian's package): a minimal MCP
 * Apps host page hands each view a real tool result from the desk on the simulator, and each test
 * checks what is on screen: the chart is drawn, it holds as many candles or points as the data,
 * the stop and target lines sit at the right prices, the host's theme is followed, and no request
 * leaves the page. The HTML reports of the CLI are opened the same way. Screenshots are kept in
 * test-artifacts/views/. Without a Chromium these tests are skipped, and say so.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHART_META_KEY, type CandlesChart, type PortfolioChart, type ReplayChart } from '../../src/charts/types.js';
import { runCliInProcess } from '../helpers/cli.js';
import { startTestDesk, type CallResult, type TestDesk } from '../helpers/desk.js';
import {
  findChromium,
  lineCoverage,
  openBrowser,
  pixelsOf,
  screenshotPath,
  startViewHost,
  summaryOf,
  viewFrame,
  type Browser,
  type Summary,
  type ViewHost,
} from '../helpers/view-host.js';

const CHROMIUM = findChromium();
const WHY = CHROMIUM ? '' : ' [skipped: no Chromium found; apt-get install chromium, or set CHROMIUM_PATH]';
const skipped: string[] = [];

/** A test that needs the browser: skipped without one, and then named in a warning (never silently). */
function browserTest(name: string, fn: () => Promise<void>): void {
  if (!CHROMIUM) skipped.push(name);
  it.skipIf(!CHROMIUM)(name, fn);
}

const T0 = Date.UTC(2026, 10, 20, 12);
const MIN = 60_000;
const APPS = { extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } } };

let desk: TestDesk;
let host: ViewHost;
let browser: Browser;
let env: Record<string, string>;
let replayId: string;

/** A signal whose stop is the snapshot's ATR stop distance and whose target is 2.5 times that. */
async function signal(symbol: string, direction: 'long' | 'short', confidence: number) {
  const snap = (await desk.call('fetch_technical_snapshot', { symbol, timeframes: ['1h'] })).data;
  const s = direction === 'long' ? 1 : -1;
  const d = snap.stopDistance.price as number;
  const price = snap.price as number;
  const r = await desk.call('submit_trading_signal', {
    symbol,
    direction,
    confidence,
    entry_price: price,
    stop_loss: Number((price - s * d).toPrecision(6)),
    take_profit: Number((price + s * 2.5 * d).toPrecision(6)),
    analysis: 'test: breakout with volume',
  });
  expect(r.isError, r.text).toBe(false);
  return { ...r.data, movePct: (snap.stopDistance.pct as number) * 2.5 + 1, stopPct: (snap.stopDistance.pct as number) + 1 };
}

beforeAll(async () => {
  if (!CHROMIUM) return;
  const dbPath = join(mkdtempSync(join(tmpdir(), 'cctrader-views-')), 'desk.db');
  desk = await startTestDesk({ sim: { now: T0 }, env: { DB_PATH: dbPath, LOG_LEVEL: 'warn' }, clientCapabilities: APPS });
  // The CLI (in-process) on the same simulator and database.
  env = { EXCHANGE_BASE_URL: desk.sim.url, DB_PATH: dbPath, LOG_LEVEL: 'warn', EXCHANGE_RATE_LIMIT: 'false' };
  const replay = await runCliInProcess(
    ['replay', '--from', '2026-11-17', '--to', '2026-11-19', '--every', '1h', '--symbols', 'BTC,ETH,SOL,XRP', '--json'],
    env,
  );
  expect(replay.code, replay.stderr).toBe(0);
  replayId = JSON.parse(replay.stdout).id;
  // A history with ups and downs: a target, a stop, another target, then a position left open.
  const eth = await signal('ETH/USDT', 'long', 85);
  desk.sim.clock.advance(20 * MIN);
  desk.sim.shock('ETHUSDT', eth.movePct);
  desk.sim.clock.advance(3 * MIN);
  await desk.call('get_portfolio_status');
  const sol = await signal('SOL/USDT', 'long', 65);
  desk.sim.clock.advance(20 * MIN);
  desk.sim.shock('SOLUSDT', -sol.stopPct);
  desk.sim.clock.advance(3 * MIN);
  await desk.call('get_portfolio_status');
  const ada = await signal('ADA/USDT', 'long', 78);
  desk.sim.clock.advance(20 * MIN);
  desk.sim.shock('ADAUSDT', ada.movePct);
  desk.sim.clock.advance(3 * MIN);
  await desk.call('get_portfolio_status');
  const btc = await signal('BTC/USDT', 'long', 72);
  expect(btc.status).toBe('executed');
  desk.sim.clock.advance(10 * MIN);
  // A low-confidence signal is recorded, not traded: its levels are what the XRP chart shows.
  const xrp = await signal('XRP/USDT', 'short', 40);
  expect(xrp.status).toBe('recorded');
  desk.sim.clock.advance(5 * MIN);

  host = await startViewHost();
  browser = await openBrowser(
    CHROMIUM,
    (url) => url === `${host.url}/host.html` || (/^http:\/\/127\.0\.0\.1:\d+\/(view\/[a-z]+|report\/[a-z-]+)\.html$/.test(url) && url.startsWith(host.url)),
  );
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await desk?.close();
});

/** Loads the host page, shows `view` with a tool result, and returns the view's frame once drawn. */
async function show(
  view: string,
  tool: string,
  input: Record<string, unknown>,
  result: CallResult,
  theme: 'light' | 'dark' = 'light',
  variables?: Record<string, string>,
): Promise<{ page: Page; frame: Frame; summary: Summary }> {
  expect(result.isError, result.text).toBe(false);
  const page = await browser.context.newPage();
  await page.goto(`${host.url}/host.html`);
  await page.evaluate((req) => (globalThis as unknown as { cctraderHost: { show(r: unknown): Promise<void> } }).cctraderHost.show(req), {
    view,
    tool,
    input,
    result: result.raw,
    theme,
    ...(variables ? { variables } : {}),
  });
  const frame = await viewFrame(page);
  return { page, frame, summary: await summaryOf(frame) };
}

async function keep(page: Page, name: string): Promise<void> {
  await (await page.$('iframe#view'))!.screenshot({ path: screenshotPath(name) });
}

/** Nothing but the host page and the views' own HTML was asked for, and no frame logged an error. */
function expectNoNetworkAndNoErrors(): void {
  const foreign = browser.requests.filter((u) => !u.startsWith(`${host.url}/`));
  expect(foreign).toEqual([]);
  expect(browser.requests.every((u) => /\/(host|view\/[a-z]+|report\/[a-z-]+)\.html$/.test(u))).toBe(true);
  expect(browser.errors).toEqual([]);
}

describe(`chart views in Chromium${WHY}`, () => {
  browserTest(
    'candles: a snapshot on an open position shows its candles, EMAs, bands, and the position’s entry, stop and target where they belong',
    async () => {
      const input = { symbol: 'BTC/USDT' };
      const result = await desk.call('fetch_technical_snapshot', input);
      const data = result.meta![CHART_META_KEY] as CandlesChart;
      const position = (await desk.call('get_portfolio_status', { symbol: 'BTC/USDT' })).data.positions.items[0];
      const { page, frame, summary } = await show('candles', 'fetch_technical_snapshot', input, result);
      expect(summary).toMatchObject({ view: 'candles', state: 'ready', theme: 'light', symbol: 'BTC/USDT:USDT', timeframe: '1h', panels: ['15m', '1h', '4h'] });
      const panel = data.panels.find((p) => p.timeframe === '1h')!;
      expect(summary['candles']).toBe(panel.t.length);
      expect(summary['visibleCandles']).toBe(panel.t.length);
      expect(summary['ema20Points']).toBe(panel.ema20.filter((x) => x !== null).length);
      expect(summary['ema50Points']).toBeGreaterThan(100);
      expect(summary['bandPoints']).toBeGreaterThan(100);

      const lines = new Map((summary['lines'] as Array<{ title: string; price: number; y: number; colour: string }>).map((l) => [l.title, l]));
      expect(lines.get('Entry')?.price).toBe(position.entryPrice);
      expect(lines.get('Stop')?.price).toBe(position.stopLoss);
      expect(lines.get('Target')?.price).toBe(position.takeProfit);
      expect(lines.get('Support')?.price).toBe(result.data.keyLevels.support?.price);
      // A long: the target is drawn above the entry, the stop below it (y grows downwards).
      expect(lines.get('Target')!.y).toBeLessThan(lines.get('Entry')!.y);
      expect(lines.get('Stop')!.y).toBeGreaterThan(lines.get('Entry')!.y);

      const px = await pixelsOf(frame, 'main');
      expect(px.inked).toBeGreaterThan(0.05);
      expect(px.colours).toBeGreaterThan(20);
      expect(px.background[0] + px.background[1] + px.background[2]).toBeGreaterThan(600); // light
      // The dashed stop and target lines are really painted at those rows, in their colours.
      const plot = px.width - 80;
      for (const title of ['Stop', 'Target']) {
        const l = lines.get(title)!;
        expect(await lineCoverage(frame, 'main', l.y, l.colour, plot), title).toBeGreaterThan(0.3);
      }
      await keep(page, 'candles-snapshot-position');
      expectNoNetworkAndNoErrors();
      await page.close();
    },
  );

  browserTest('candles: market data follows the host’s dark theme, and a theme change redraws it light', async () => {
    const input = { symbol: 'XRP/USDT', timeframe: '15m', lookback: 90, limit: 10 };
    const result = await desk.call('fetch_market_data', input);
    const { page, frame, summary } = await show('candles', 'fetch_market_data', input, result, 'dark');
    expect(summary).toMatchObject({ state: 'ready', theme: 'dark', timeframe: '15m', candles: 90 + (result.data.forming ? 1 : 0) });
    // The recorded XRP short's levels: stop above the entry, target below.
    const signalRow = (await desk.call('get_signal_history', { symbol: 'XRP/USDT', limit: 1 })).data.items[0];
    const lines = new Map((summary['lines'] as Array<{ title: string; price: number; y: number }>).map((l) => [l.title, l]));
    expect(lines.get('Stop')?.price).toBe(signalRow.stopLoss);
    expect(lines.get('Target')?.price).toBe(signalRow.takeProfit);
    expect(lines.get('Stop')!.y).toBeLessThan(lines.get('Target')!.y);
    const dark = await pixelsOf(frame, 'main');
    expect(dark.background[0] + dark.background[1] + dark.background[2]).toBeLessThan(150);
    expect(dark.inked).toBeGreaterThan(0.05);
    await keep(page, 'candles-market-data-dark');

    await page.evaluate(() => (globalThis as unknown as { cctraderHost: { setTheme(t: string): void } }).cctraderHost.setTheme('light'));
    await frame.waitForFunction(() => (globalThis as unknown as { __cctraderView?: { theme: string } }).__cctraderView?.theme === 'light');
    const light = await pixelsOf(frame, 'main');
    expect(light.background[0] + light.background[1] + light.background[2]).toBeGreaterThan(600);
    expectNoNetworkAndNoErrors();
    await page.close();
  });

  browserTest('candles: the host’s style variables colour the chart', async () => {
    const input = { symbol: 'ETH/USDT', timeframes: ['1h'] };
    const result = await desk.call('fetch_technical_snapshot', input);
    const { page, frame } = await show('candles', 'fetch_technical_snapshot', input, result, 'dark', { '--color-background-primary': '#203040' });
    const px = await pixelsOf(frame, 'main');
    // #203040, quantised to 5 bits a channel.
    expect(px.background).toEqual([0x20, 0x30, 0x40]);
    await page.close();
  });

  browserTest('portfolio: the equity curve with its drawdown, and the open position between its stop and target', async () => {
    const result = await desk.call('get_portfolio_status');
    const data = result.meta![CHART_META_KEY] as PortfolioChart;
    const { page, frame, summary } = await show('portfolio', 'get_portfolio_status', {}, result);
    expect(summary).toMatchObject({ view: 'portfolio', state: 'ready', points: data.curve.t.length, drawdownPoints: data.curve.t.length });
    // Start, the seven trades of three round trips and an open one, then the equity now.
    expect(data.curve.t.length).toBeGreaterThanOrEqual(8);
    expect(summary['lastEquity']).toBe(result.data.account.equity);
    expect(summary['minDrawdownPct']).toBeLessThan(0);
    const [pos] = summary['positions'] as Array<{ symbol: string; stop: number; entry: number; mark: number; target: number; at: Record<string, number> }>;
    const btc = result.data.positions.items[0];
    expect(pos).toMatchObject({ symbol: 'BTC/USDT:USDT', stop: btc.stopLoss, entry: btc.entryPrice, target: btc.takeProfit, mark: btc.markPrice });
    // On the ruler: stop at the left end, target at the right end, the entry in between.
    expect(pos!.at['stop']).toBe(0);
    expect(pos!.at['target']).toBe(100);
    expect(pos!.at['entry']).toBeGreaterThan(0);
    expect(pos!.at['entry']).toBeLessThan(100);
    const ticks = await frame.$$eval('.ruler .tick', (nodes) =>
      nodes.map((n) => ({ kind: n.getAttribute('data-kind'), left: parseFloat((n as unknown as { style: { left: string } }).style.left) })),
    );
    expect(ticks.map((t) => t.kind).sort()).toEqual(['entry', 'mark', 'stop', 'target']);
    const px = await pixelsOf(frame, 'main');
    expect(px.inked).toBeGreaterThan(0.03);
    await keep(page, 'portfolio-status');
    expectNoNetworkAndNoErrors();
    await page.close();
  });

  browserTest('portfolio: the P&L report’s curve ends at its equity', async () => {
    const input = { period: 'daily' };
    const result = await desk.call('get_pnl_report', input);
    const data = result.meta![CHART_META_KEY] as PortfolioChart;
    const { page, summary } = await show('portfolio', 'get_pnl_report', input, result);
    expect(summary).toMatchObject({ state: 'ready', points: data.curve.t.length, lastEquity: result.data.summary.equity });
    expect(data.curve.equity[0]).toBe(result.data.summary.startBalance);
    expect((summary['positions'] as unknown[]).length).toBe(1);
    await keep(page, 'portfolio-pnl-report');
    expectNoNetworkAndNoErrors();
    await page.close();
  });

  browserTest('scorecard: one bar per decided confidence bucket, at the scorecard’s hit rates', async () => {
    const result = await desk.call('get_signal_scorecard');
    const { page, frame, summary } = await show('scorecard', 'get_signal_scorecard', {}, result);
    const buckets = result.data.byConfidence as Array<{ key: string; hitRate: number | null; avgR: number | null; decided: number }>;
    expect(summary).toMatchObject({ view: 'scorecard', state: 'ready', rows: buckets.length, buckets: buckets.map((b) => b.key) });
    expect(summary['hitRates']).toEqual(buckets.map((b) => b.hitRate));
    expect(summary['avgR']).toEqual(buckets.map((b) => b.avgR));
    expect(summary['bars']).toBe(buckets.filter((b) => b.hitRate !== null).length);
    expect(summary['bars']).toBeGreaterThanOrEqual(2);
    expect(await frame.$$eval('table tbody tr', (rows) => rows.length)).toBe(buckets.length);
    expect((await pixelsOf(frame, 'main')).inked).toBeGreaterThan(0.02);
    await keep(page, 'scorecard');
    expectNoNetworkAndNoErrors();
    await page.close();
  });

  browserTest('replay: the equity against buy-and-hold, and the trades marked on the price', async () => {
    const input = { id: replayId };
    const result = await desk.call('get_replay_report', input);
    const data = result.meta![CHART_META_KEY] as ReplayChart;
    const { page, frame, summary } = await show('replay', 'get_replay_report', input, result);
    expect(summary).toMatchObject({ view: 'replay', state: 'ready', id: replayId, points: 49 });
    expect(data.equity.v.at(-1)).toBe(result.data.equityCurve.at(-1).equity);
    expect(summary['benchmarks']).toEqual(data.benchmarks.map((b) => ({ name: b.name, points: 49 })));
    // The BTC curve ends where the report's BTC buy-and-hold does.
    const btc = data.benchmarks.find((b) => b.name.startsWith('BTC'))!;
    expect((btc.v.at(-1)! / data.startBalance - 1) * 100).toBeCloseTo(result.data.benchmarks.btcBuyHoldPct, 1);
    const market = data.markets[0]!;
    expect(summary).toMatchObject({ market: market.symbol, candles: market.t.length, trades: market.trades.length });
    expect(summary['markers']).toBe(market.trades.length + market.trades.filter((t) => t.closedAt !== null).length);
    expect((await pixelsOf(frame, 'equity')).inked).toBeGreaterThan(0.02);
    expect((await pixelsOf(frame, 'price')).inked).toBeGreaterThan(0.02);
    await keep(page, 'replay');
    expectNoNetworkAndNoErrors();
    await page.close();
  });

  browserTest('HTML reports: pnl-report, scorecard and replay show write pages that draw with no network', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cctrader-html-'));
    const runs: Array<[string[], string]> = [
      [['pnl-report', '--period', 'all', '--html', join(dir, 'pnl.html')], 'portfolio'],
      [['scorecard', '--html', join(dir, 'scorecard.html')], 'scorecard'],
      [['replay', 'show', replayId, '--html', join(dir, 'replay.html')], 'replay'],
    ];
    for (const [args, view] of runs) {
      const r = await runCliInProcess(args, env);
      expect(r.code, r.stderr).toBe(0);
      const file = args.at(-1)!;
      expect(r.stdout).toContain(`HTML report: ${file}`);
      const name = `report/${view}`;
      host.serve(`/${name}.html`, readFileSync(file, 'utf8'));
      const page = await browser.context.newPage();
      await page.goto(`${host.url}/${name}.html`);
      await page.waitForFunction(() => (globalThis as unknown as { __cctraderView?: { state: string } }).__cctraderView?.state === 'ready');
      const summary = (await page.evaluate(() => (globalThis as unknown as { __cctraderView: Summary }).__cctraderView)) as Summary;
      expect(summary.view).toBe(view);
      await page.screenshot({ path: screenshotPath(`report-${view}`), fullPage: true });
      await page.close();
    }
    // With --json, stdout stays one JSON document and the path goes to stderr.
    const json = await runCliInProcess(['scorecard', '--json', '--html', join(dir, 'again.html')], env);
    expect(JSON.parse(json.stdout).totals).toBeDefined();
    expect(json.stderr).toContain('HTML report:');
    expectNoNetworkAndNoErrors();
  });

  if (skipped.length) {
    console.warn(
      `chart view browser tests SKIPPED, no Chromium at ${process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'} (apt-get install chromium, or set CHROMIUM_PATH):\n${skipped.map((n) => `  - ${n}`).join('\n')}`,
    );
  }
});
