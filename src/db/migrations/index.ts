/** The ordered list of frozen migrations. Names sort in the order they must run. */
import type { Migration } from 'kysely';
import * as m0001 from './0001_initial.js';
import * as m0002 from './0002_paper_trading.js';
import * as m0003 from './0003_llm_usage_provider.js';
import * as m0004 from './0004_scan_cycles.js';
import * as m0005 from './0005_signal_outcomes.js';
import * as m0006 from './0006_token_accounting.js';
import * as m0007 from './0007_position_marks.js';
import * as m0008 from './0008_history_and_replays.js';

export const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_paper_trading': m0002,
  '0003_llm_usage_provider': m0003,
  '0004_scan_cycles': m0004,
  '0005_signal_outcomes': m0005,
  '0006_token_accounting': m0006,
  '0007_position_marks': m0007,
  '0008_history_and_replays': m0008,
};
