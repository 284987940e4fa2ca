import { describe, expect, it } from 'vitest';
import { createLogger, LogFeed, type LogRecord } from '../../src/log.js';

describe('the log feed (MCP notifications/message)', () => {
  it('hands listeners the records redacted exactly as stderr gets them, at the listener’s own level', () => {
    const feed = new LogFeed();
    const stderr: string[] = [];
    const log = createLogger({ level: 'warn', write: (l) => void stderr.push(l), secrets: ['canary-api-key-0001'], feed }).child({ component: 'market' });
    const heard: LogRecord[] = [];
    const stop = feed.subscribe('debug', (r) => void heard.push(r));

    log.debug('request', { url: 'https://x/?apiKey=canary-api-key-0001' });
    log.warn('retried with CANARY-API-KEY-0001');
    expect(heard.map((r) => r.msg)).toEqual(['request', 'retried with [REDACTED]']);
    expect(heard[0]).toMatchObject({ level: 'debug', component: 'market', url: 'https://x/?apiKey=[REDACTED]' });
    // stderr keeps its own level; the warning line is the same record.
    expect(stderr).toHaveLength(1);
    expect(JSON.parse(stderr[0]!)).toEqual(heard[1]);

    stop();
    log.error('after');
    expect(heard).toHaveLength(2);
  });

  it('a listener that throws never reaches the code that logged', () => {
    const feed = new LogFeed();
    const log = createLogger({ level: 'silent', write: () => {}, feed });
    feed.subscribe('info', () => {
      throw new Error('closed connection');
    });
    expect(() => log.info('still fine')).not.toThrow();
  });
});
