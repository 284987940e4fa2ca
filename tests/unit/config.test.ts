import { describe, expect, it } from 'vitest';
import { loadConfig, redactConfig } from '../../src/config.js';

describe('configuration', () => {
  it('merges defaults < .env < environment < flags, later wins', () => {
    const config = loadConfig({
      file: { DEFAULT_SYMBOL: 'ETH/USDT', MAX_TURNS: '5', MARKET_TYPE: 'spot' },
      env: { MAX_TURNS: '7', MARKET_TYPE: 'swap' },
      flags: { MARKET_TYPE: 'spot' },
      defaults: { dbPath: '/data/cctrader.db' },
    });
    expect(config.DEFAULT_SYMBOL).toBe('ETH/USDT');
    expect(config.MAX_TURNS).toBe(7);
    expect(config.MARKET_TYPE).toBe('spot');
    expect(config.DB_PATH).toBe('/data/cctrader.db');
    expect(config.EXCHANGE_ID).toBe('bybit');
  });

  it('keeps the original variable names and meanings', () => {
    const config = loadConfig({ env: { BYBIT_TESTNET: 'true', MAX_BUDGET_USD: '2.5', ANALYSIS_INTERVAL: '600' } });
    expect(config.BYBIT_TESTNET).toBe(true);
    expect(config.MAX_BUDGET_USD).toBe(2.5);
    expect(config.ANALYSIS_INTERVAL).toBe(600);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ env: { EXCHANGE_BASE_URL: '', MAX_TURNS: ' ' } }).MAX_TURNS).toBe(20);
  });

  it('stops with a message that names the bad variable', () => {
    expect(() => loadConfig({ env: { MAX_TURNS: 'lots' } })).toThrow(/MAX_TURNS/);
    expect(() => loadConfig({ env: { MARKET_TYPE: 'futures' } })).toThrow(/MARKET_TYPE.*futures/);
    expect(() => loadConfig({ env: { EXCHANGE_BASE_URL: 'ftp://x' } })).toThrow(/EXCHANGE_BASE_URL/);
  });

  it('checks settings that contradict each other together, naming both variables', () => {
    const problem = (env: Record<string, string>) => {
      try {
        loadConfig({ env });
        return '';
      } catch (e) {
        return String((e as Error).message);
      }
    };
    expect(problem({ TOKEN_WARNING_THRESHOLD: '80', TOKEN_CRITICAL_THRESHOLD: '80' })).toMatch(
      /TOKEN_WARNING_THRESHOLD \(80\) must be below TOKEN_CRITICAL_THRESHOLD \(80\)/,
    );
    expect(problem({ MIN_STOP_ATR: '3', MAX_STOP_ATR: '2' })).toMatch(/MIN_STOP_ATR \(3\) is above MAX_STOP_ATR \(2\)/);
    expect(problem({ MIN_STOP_ATR: '3', MAX_STOP_ATR: '0' })).toBe('');
    expect(problem({ CLAUDE_HOURLY_LIMIT: '600', CLAUDE_DAILY_LIMIT: '500' })).toMatch(/CLAUDE_HOURLY_LIMIT \(600\) is above CLAUDE_DAILY_LIMIT \(500\)/);
    // Two at once: both reported.
    const both = problem({ LEVERAGE: '12', MAX_POSITION_SIZE_PCT: '150' });
    expect(both).toMatch(/LEVERAGE \(12\) is above MAX_LEVERAGE \(10\)/);
    expect(both).toMatch(/MAX_POSITION_SIZE_PCT \(150\) is above MAX_TOTAL_EXPOSURE_PCT \(100\)/);
  });

  it('never shows a secret value, not even in an error', () => {
    const config = loadConfig({ env: { BYBIT_API_KEY: 'canary-key-123456', ANTHROPIC_API_KEY: 'sk-canary-abcdef' } });
    const shown = JSON.stringify(redactConfig(config));
    expect(shown).not.toContain('canary');
    expect(redactConfig(config).BYBIT_API_KEY).toBe('[set, redacted]');
    let message = '';
    try {
      loadConfig({ env: { CCTRADER_HTTP_TOKEN: 'short-canary' } });
    } catch (e) {
      message = String((e as Error).message);
    }
    expect(message).toMatch(/CCTRADER_HTTP_TOKEN/);
    expect(message).not.toContain('short-canary');
  });
});
