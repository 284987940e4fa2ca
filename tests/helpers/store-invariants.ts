/**
 * What must hold in the desk's database at every instant, even right after a SIGKILL: each check
 * is one SQL query over the committed state, and each violation comes back as a sentence (an empty
 * list means the state is whole). Used by the crash and exchange-fault tests (tests/hardening/).
 *
 * - A signal_id is stored once; a decided signal (executed, rejected, recorded) carries its
 *   decision; a failed one (market error, may be retried) is the only kind without one.
 * - An executed signal has exactly one position, and only executed signals have one.
 * - A position has exactly one opening trade; a closed one exactly one closing trade, an open one none.
 * - A portfolio holds at most one open position per symbol.
 * - A scan mover points only at the signal of its own signal_id, no two movers at one signal, and
 *   a mover that says executed/rejected/recorded has that signal in that state.
 * - A finished cycle has no pending mover, its counts are those of its mover rows, and every
 *   signal decided under its signal_ids is recorded on its mover with the same outcome.
 */
import SQLite from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../src/db/schema.js';

/** `PRAGMA integrity_check` of a database file ('ok' when sound), on its own short-lived connection. */
export function integrityCheck(path: string): string {
  const handle = new SQLite(path);
  try {
    return (handle.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; ');
  } finally {
    handle.close();
  }
}

async function rows<T>(db: Kysely<DB>, query: ReturnType<typeof sql<T>>): Promise<T[]> {
  return (await query.execute(db)).rows;
}

export async function storeViolations(db: Kysely<DB>): Promise<string[]> {
  const out: string[] = [];

  for (const r of await rows<{ signal_id: string; n: number }>(
    db,
    sql`select signal_id, count(*) as n from movers_signals where signal_id is not null group by signal_id having count(*) > 1`,
  )) {
    out.push(`signal_id ${r.signal_id} is stored ${r.n} times`);
  }
  for (const r of await rows<{ id: number; signal_id: string | null; status: string }>(
    db,
    sql`select id, signal_id, status from movers_signals where status != 'failed' and decision is null`,
  )) {
    out.push(`signal ${r.id} (${r.signal_id}) is ${r.status} without its decision`);
  }
  for (const r of await rows<{ id: number; signal_id: string | null; position_id: number | null; n: number; own: number }>(
    db,
    sql`select s.id, s.signal_id, s.position_id,
               (select count(*) from paper_positions p where p.signal_id = s.id) as n,
               (select count(*) from paper_positions p where p.signal_id = s.id and p.id = s.position_id) as own
        from movers_signals s where s.status = 'executed'`,
  )) {
    if (r.n !== 1 || r.own !== 1) out.push(`executed signal ${r.id} (${r.signal_id}) has ${r.n} positions (its position_id ${r.position_id})`);
  }
  for (const r of await rows<{ id: number; signal_id: string | null; status: string }>(
    db,
    sql`select s.id, s.signal_id, s.status from movers_signals s join paper_positions p on p.signal_id = s.id where s.status != 'executed'`,
  )) {
    out.push(`signal ${r.id} (${r.signal_id}) is ${r.status} but has a position`);
  }
  for (const r of await rows<{ id: number }>(
    db,
    sql`select p.id from paper_positions p left join movers_signals s on s.id = p.signal_id where p.signal_id is not null and s.id is null`,
  )) {
    out.push(`position ${r.id} points at a missing signal`);
  }
  for (const r of await rows<{ id: number; status: string; opens: number; closes: number }>(
    db,
    sql`select p.id, p.status,
               (select count(*) from paper_trades t where t.position_id = p.id and t.trade_type = 'open') as opens,
               (select count(*) from paper_trades t where t.position_id = p.id and t.trade_type = 'close') as closes
        from paper_positions p`,
  )) {
    if (r.opens !== 1) out.push(`position ${r.id} has ${r.opens} opening trades`);
    if (r.closes !== (r.status === 'closed' ? 1 : 0)) out.push(`position ${r.id} is ${r.status} with ${r.closes} closing trades`);
  }
  for (const r of await rows<{ portfolio_id: number; symbol: string; n: number }>(
    db,
    sql`select portfolio_id, symbol, count(*) as n from paper_positions where status = 'open' group by portfolio_id, symbol having count(*) > 1`,
  )) {
    out.push(`portfolio ${r.portfolio_id} holds ${r.n} open ${r.symbol} positions`);
  }

  for (const r of await rows<{
    cycle_id: string;
    symbol: string;
    outcome: string;
    signal_id: string;
    signal_row_id: number | null;
    own_id: string | null;
    status: string | null;
  }>(
    db,
    sql`select m.cycle_id, m.symbol, m.outcome, m.signal_id, m.signal_row_id, s.signal_id as own_id, s.status
        from scan_cycle_movers m left join movers_signals s on s.id = m.signal_row_id
        where m.signal_row_id is not null or m.outcome in ('executed', 'rejected', 'recorded')`,
  )) {
    const mover = `mover ${r.cycle_id}/${r.symbol}`;
    if (r.signal_row_id === null) out.push(`${mover} is ${r.outcome} without its signal`);
    else if (r.own_id !== r.signal_id) out.push(`${mover} points at signal ${r.signal_row_id} (${r.own_id}), not at ${r.signal_id}`);
    else if (['executed', 'rejected', 'recorded'].includes(r.outcome) && r.status !== r.outcome)
      out.push(`${mover} says ${r.outcome}, its signal is ${r.status}`);
  }
  for (const r of await rows<{ signal_row_id: number; n: number }>(
    db,
    sql`select signal_row_id, count(*) as n from scan_cycle_movers where signal_row_id is not null group by signal_row_id having count(*) > 1`,
  )) {
    out.push(`${r.n} movers point at signal ${r.signal_row_id}`);
  }

  for (const r of await rows<{ id: number; status: string; n: number }>(
    db,
    sql`select c.id, c.status, count(*) as n from scan_cycles c join scan_cycle_movers m on m.cycle_id = c.id
        where c.status != 'running' and m.outcome = 'pending' group by c.id`,
  )) {
    out.push(`cycle ${r.id} is ${r.status} with ${r.n} pending movers`);
  }
  for (const r of await rows<{ id: string; executed: number; rows_executed: number; analysed: number; rows_analysed: number }>(
    db,
    sql`select c.id, c.executed, c.analysed,
               (select count(*) from scan_cycle_movers m where m.cycle_id = c.id and m.outcome = 'executed') as rows_executed,
               (select count(*) from scan_cycle_movers m where m.cycle_id = c.id and m.outcome in ('executed', 'rejected', 'recorded', 'no_signal', 'error')) as rows_analysed
        from scan_cycles c where c.status != 'running'`,
  )) {
    if (r.executed !== r.rows_executed || r.analysed !== r.rows_analysed) {
      out.push(`cycle ${r.id} counts executed ${r.executed}/analysed ${r.analysed}, its movers say ${r.rows_executed}/${r.rows_analysed}`);
    }
  }
  for (const r of await rows<{ cycle_id: string; symbol: string; outcome: string; status: string; cycle_status: string }>(
    db,
    sql`select m.cycle_id, m.symbol, m.outcome, s.status, c.status as cycle_status
        from scan_cycle_movers m join scan_cycles c on c.id = m.cycle_id join movers_signals s on s.signal_id = m.signal_id
        where c.status != 'running' and s.status != 'failed' and s.decision is not null and m.outcome != s.status`,
  )) {
    out.push(`mover ${r.cycle_id}/${r.symbol} of a ${r.cycle_status} cycle says ${r.outcome}, but its signal was ${r.status}`);
  }
  return out;
}

/** Cycles not yet ended (status running). */
export async function runningCycles(db: Kysely<DB>): Promise<string[]> {
  return (await db.selectFrom('scan_cycles').select('id').where('status', '=', 'running').execute()).map((r) => r.id);
}
