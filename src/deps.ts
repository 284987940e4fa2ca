/** What every feature function and tool handler receives. Built by app.ts (real adapters) or by
 * tests (real code with loopback fakes at the edges). */
import type { Kysely } from 'kysely';
import type { Config } from './config.js';
import type { DB } from './db/schema.js';
import type { LogFeed, Logger } from './log.js';
import type { MarketData } from './market/types.js';
import type { SentimentDeps } from './sentiment/types.js';
import type { Clock } from './shared/clock.js';

export interface Deps {
  config: Config;
  log: Logger;
  clock: Clock;
  db: Kysely<DB>;
  market: MarketData;
  /** Optional sentiment sources (news, Fear & Greed) and their cache. */
  sentiment: SentimentDeps;
  /** The log records as written, for MCP clients that asked for them (logging/setLevel). */
  logFeed?: LogFeed;
}
