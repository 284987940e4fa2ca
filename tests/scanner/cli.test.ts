/** The runner's commands (scan-movers, analyze, monitor, demo) run in-process through runCli, with
 * the rules analyst, against the simulator and a temp database. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { startSimExchange, type SimExchange } from '../../src/sim/server.js';

let sim: SimExchange;
let dbPath: string;

beforeAll(async () => {
  sim = await startSimExchange({ seed: 42, now: Date.parse('2026-11-20T12:34:56Z') });
  dbPath = join(mkdtempSync(join(tmpdir(), 'cctrader-scan-cli-')), 'desk.db');
});
afterAll(async () => {
  await sim.close();
});

class Capture extends Writable {
  text = '';
  onText: ((text: string) => void) | undefined;
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    this.onText?.(chunk.toString());
    done();
  }
}

async function cli(args: string[], options: { tty?: boolean; env?: Record<string, string>; onStderr?: (text: string, interrupt: () => void) => void } = {}) {
  const stdout = new Capture();
  const stderr = new Capture();
  let handler: ((signal: 'SIGINT' | 'SIGTERM') => void) | undefined;
  if (options.onStderr) stderr.onText = (t) => options.onStderr!(t, () => handler?.('SIGINT'));
  const code = await runCli({
    argv: ['node', 'cctrader', ...args],
    env: { EXCHANGE_BASE_URL: sim.url, DB_PATH: dbPath, EXCHANGE_RATE_LIMIT: 'false', LOG_LEVEL: 'warn', ANALYST: 'rules', ...options.env },
    dotenv: undefined,
    dataDir: tmpdir(),
    stdin: new PassThrough(),
    stdout,
    stderr,
    isTTY: options.tty ?? false,
    onSignal: (h) => {
      handler = h;
      return () => {
        handler = undefined;
      };
    },
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('scan-movers', () => {
  it('--once --json prints one JSON document: the cycle report; progress goes to stderr', async () => {
    const r = await cli(['scan-movers', '--once', '--json', '--max-movers', '4']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ status: 'completed', analyst: 'rules', scanned: 30 });
    expect(report.movers).toHaveLength(4);
    expect(report.analysed).toBe(4);
    expect(r.stderr).toMatch(/scanned 30 markets: \d+ movers, 0 held, 4 to analyse/);
    expect(r.stderr).toMatch(/analysing \w+\/USDT \(#1\)/);
  });

  it('prints a summary table per cycle; on a terminal the progress is one live line', async () => {
    const r = await cli(['scan-movers', '--once', '--max-movers', '2', '--portfolio', 'default'], { tty: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/┌─ Cycle scan-\d{8}T\d{6}Z-[0-9a-f]{4} /);
    expect(r.stdout).toContain('rules analyst, portfolio default, completed');
    expect(r.stdout).toMatch(/│ # │ Symbol +│ +24h │ Outcome/);
    expect(r.stderr).toContain('\r\x1b[2K');
    // Symbols held since the first test are set aside.
    expect(r.stdout).toMatch(/held [1-9]/);
  });

  it('Ctrl-C finishes the analysis in flight, saves the cycle and exits', async () => {
    let sent = false;
    // A portfolio of its own, with free position slots (the cycles above filled the default one).
    expect((await cli(['portfolio', 'create', 'ctrl-c'])).code).toBe(0);
    const r = await cli(['scan-movers', '--json', '--concurrency', '1', '--interval', '3600', '--portfolio', 'ctrl-c'], {
      onStderr: (text, interrupt) => {
        if (!sent && text.startsWith('analysing')) {
          sent = true;
          interrupt();
        }
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('stopping: the analyses in flight finish');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]!);
    expect(report.status).toBe('stopped');
    expect(report.analysed).toBe(1);
    expect(report.movers.slice(1).every((m: { outcome: string; code: string }) => m.outcome === 'skipped' && m.code === 'STOPPED')).toBe(true);
  });

  it('after `cctrader halt` a cycle submits nothing and says trading is halted', async () => {
    expect((await cli(['halt', '--reason', 'desk closed'])).code).toBe(0);
    try {
      const r = await cli(['scan-movers', '--once', '--json']);
      const report = JSON.parse(r.stdout);
      expect(report.analysed).toBe(0);
      expect(report.signals).toBe(0);
      expect(report.stop).toMatchObject({ code: 'HALTED' });
      expect(report.stop.reason).toContain('desk closed');
    } finally {
      await cli(['resume']);
    }
  });
});

describe('analyze and monitor', () => {
  it('analyze --json: the rules analyst decides and submits through the risk rules', async () => {
    const r = await cli(['analyze', '--symbol', 'ETH/USDT', '--json', '--show-tokens']);
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout);
    expect(a).toMatchObject({ symbol: 'ETH/USDT:USDT', analyst: 'rules', refused: null });
    expect(['signal', 'no_signal']).toContain(a.outcome);
    expect(a.usage).toMatchObject({ inputTokens: 0, outputTokens: 0, costUsd: '0', exact: true });
    if (a.outcome === 'signal') expect(['executed', 'rejected', 'recorded']).toContain(a.signal.status);
    else expect(a.reason).toMatch(/timeframes disagree|no usable/);
  });

  it('analyze "how is SOL doing?" analyses the coin the question names, and says so', async () => {
    const r = await cli(['analyze', 'how is SOL doing?', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ symbol: 'SOL/USDT:USDT', symbolFrom: 'question' });
    const boxed = await cli(['analyze', 'is bitcoin near support?']);
    expect(boxed.stderr).toContain('analysing BTC/USDT:USDT (named in the question)');
    // The support question gets the levels the rules analyst sees.
    expect(boxed.stdout).toMatch(/Levels: support/);
    // A question naming no listed coin falls back to DEFAULT_SYMBOL, and says so.
    const none = await cli(['analyze', 'what should I do today?', '--json'], { env: { DEFAULT_SYMBOL: 'ETH/USDT' } });
    expect(JSON.parse(none.stdout)).toMatchObject({ symbol: 'ETH/USDT:USDT', symbolFrom: 'default' });
    expect(JSON.parse(none.stdout).text).toMatch(/^The rules analyst cannot answer free-form questions/);
  });

  it('the rules analyst answers what it can of a question (sentiment gets the sentiment numbers) and says what it cannot', async () => {
    const r = await cli(['analyze', 'what is the sentiment on XRP?', '--json']);
    const a = JSON.parse(r.stdout);
    expect(a.symbol).toBe('XRP/USDT:USDT');
    expect(a.text).toMatch(/^Sentiment \(exchange positioning\): [+-]?\d+ \(\w+\)\./);
    expect(a.text).toContain('funding');
    expect(a.text).toContain('News sentiment is not read by the rules analyst');
    expect(a.text).toMatch(/Rules analyst: alignment|timeframes disagree/);
  });

  it('monitor --once prints one analysis and exits', async () => {
    const r = await cli(['monitor', '--symbol', 'BTC/USDT', '--once', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const tick = JSON.parse(lines[0]!);
    expect(tick.symbol).toBe('BTC/USDT:USDT');
    expect(tick.at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(tick.analyst).toBe('rules');
    expect(['signal', 'no_signal']).toContain(tick.outcome);
  });

  it('monitor --json while a position is open prints the holding as numbers, not a database row', async () => {
    const status = JSON.parse((await cli(['status', '--json'])).stdout);
    const held = status.positions.items[0];
    expect(held, 'a position from the cycles above').toBeDefined();
    const r = await cli(['monitor', '--symbol', held.symbol, '--once', '--json']);
    const tick = JSON.parse(r.stdout.trim());
    expect(tick.holding).toEqual({ positionId: held.id, direction: held.direction, entryPrice: held.entryPrice });
    expect(JSON.stringify(tick)).not.toMatch(/entry_price|portfolio_id/);
  });
});

describe('demo', () => {
  it('runs a full cycle offline on its own simulator: movers, signals, fills, portfolio', async () => {
    const r = await cli(['demo', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.cycle).toMatchObject({ status: 'completed', analyst: 'rules' });
    expect(d.cycle.executed).toBeGreaterThan(0);
    expect(d.fills).toHaveLength(d.cycle.executed);
    expect(d.portfolio.positions.items).toHaveLength(d.cycle.executed);
    // Reproducible: the same seed gives the same movers, signals and fills.
    const again = JSON.parse((await cli(['demo', '--json'])).stdout);
    const shape = (x: typeof d) => ({
      movers: x.movers.items,
      signals: x.cycle.movers.map((m: { symbol: string; outcome: string; signal: unknown }) => [m.symbol, m.outcome, m.signal]),
      fills: x.fills,
    });
    expect(shape(again)).toEqual(shape(d));
    // Prices at 7 significant digits, in the JSON and in the fills table.
    for (const f of d.fills) expect(String(f.price).replace(/^0\.0*|\./g, '').length).toBeLessThanOrEqual(7);
    const table = (await cli(['demo'])).stdout;
    expect(table).toContain('┌─ Paper fills');
    const prices = [...table.matchAll(/│ \w+\/USDT +│ (?:long|short) +│ +\d+ │ +[\d.]+ │ +([\d.]+) │/g)].map((m) => m[1]!);
    expect(prices.length).toBe(d.fills.length);
    for (const p of prices) expect(p.replace(/^0\.0*|\./g, '').length).toBeLessThanOrEqual(7);
  });
});
