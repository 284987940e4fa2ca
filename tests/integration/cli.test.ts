import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBin } from '../helpers/spawn.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'cctrader-cli-'));

describe('cctrader CLI', () => {
  it('--help lists the commands', async () => {
    const r = await runBin(['--help'], {});
    expect(r.code).toBe(0);
    for (const command of [
      'serve',
      'sim-exchange',
      'demo',
      'config',
      'db',
      'scan-movers',
      'analyze',
      'monitor',
      'signals',
      'status',
      'pnl-report',
      'portfolio',
      'halt',
      'resume',
    ])
      expect(r.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
  });

  it('config --json prints one JSON document with secrets redacted, and .env < environment', async () => {
    const cwd = tmp();
    writeFileSync(join(cwd, '.env'), 'DEFAULT_SYMBOL=ETH/USDT\nMAX_TURNS=3\nBYBIT_API_SECRET=canary-secret-9999\n');
    const r = await runBin(['config', '--json'], { MAX_TURNS: '9', DB_PATH: join(cwd, 'x.db') }, { cwd });
    expect(r.code).toBe(0);
    const shown = JSON.parse(r.stdout);
    expect(shown.DEFAULT_SYMBOL).toBe('ETH/USDT');
    expect(shown.MAX_TURNS).toBe(9);
    expect(shown.BYBIT_API_SECRET).toBe('[set, redacted]');
    expect(r.stdout + r.stderr).not.toContain('canary-secret-9999');
  });

  it('a bad setting stops start-up with a message naming the variable', async () => {
    const r = await runBin(['config'], { MARKET_TYPE: 'options' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CONFIG: .*MARKET_TYPE/);
    expect(r.stdout).toBe('');
  });

  it('db migrate and db status report the schema', async () => {
    const db = join(tmp(), 'sub', 'desk.db');
    const migrate = await runBin(['db', 'migrate', '--json'], { DB_PATH: db });
    expect(migrate.code).toBe(0);
    expect(JSON.parse(migrate.stdout).applied).toContain('0001_initial');
    const status = await runBin(['db', 'status', '--json'], { DB_PATH: db });
    const parsed = JSON.parse(status.stdout);
    expect(parsed.pending).toBe(0);
    expect(parsed.path).toBe(db);
  });

  it('demo runs offline on the simulator and shows movers and a price', async () => {
    const r = await runBin(['demo', '--json'], { DB_PATH: join(tmp(), 'd.db') }, { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.movers.items.length).toBeGreaterThan(0);
    for (const m of out.movers.items) expect(Math.abs(m.change24hPct)).toBeGreaterThanOrEqual(5);
    expect(out.quote.symbol).toBe('BTC/USDT:USDT');
  }, 60_000);
});
