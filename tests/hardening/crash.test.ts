/**
 * Crashes: `cctrader scan-movers` runs as a real child process (the compiled bin) against the
 * simulated exchange of this process and one database file, and is killed with SIGKILL at seeded
 * random points (during the scan, the analyses, the fills, the bookkeeping, the wait between
 * cycles), then started again. Between runs the market moves: the clock goes forward (a quick
 * restart, a restart a minute or two later, or hours later) and the coins the portfolio holds gap
 * up or down, so that stops and targets fire across restarts. The child's clock follows the
 * simulator's (tests/helpers/shifted-clock.mjs).
 *
 * After every kill: `PRAGMA integrity_check` is ok and the stored state is whole (no signal
 * executed twice, no half-written signal, position or mover: tests/helpers/store-invariants.ts).
 * After the last run: every cycle has ended (an interrupted one resumed under its id, or closed as
 * failed/INTERRUPTED), and the ledger invariants hold.
 *
 * The Claude variant does the same with `--analyst claude --daily` against the fake Anthropic API
 * (the real SDK binary): the day's one conversation is resumed by each restarted process.
 *
 * CI runs a reduced form; CCTRADER_LONG_TESTS=1 runs the full one (CRASH_SEED=n picks another schedule).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import SQLite from 'better-sqlite3';
import { Migrator, sql, type Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RulesAnalyst } from '../../src/agent/rules-analyst.js';
import { createDeps } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrationStatus } from '../../src/db/migrate.js';
import { createPortfolio } from '../../src/trading/portfolios.js';
import { runCycle, type CycleResult } from '../../src/scanner/cycle.js';
import { runScanner } from '../../src/scanner/runner.js';
import { cycleReport } from '../../src/scanner/store.js';
import { mulberry32 } from '../../src/sim/rng.js';
import { startSimExchange, type SimExchange } from '../../src/sim/server.js';
import {
  requestText,
  startFakeAnthropic,
  text,
  type FakeAnthropic,
  type FakeTurn,
  type RecordedRequest,
  currentMoverTask,
  submitFromSnapshot,
} from '../fakes/anthropic.js';
import { BIN, childEnv } from '../helpers/spawn.js';
import { integrityCheck, runningCycles, storeViolations } from '../helpers/store-invariants.js';
import { checkLedger, checkRollups } from '../trading/ledger-check.js';

const LONG = process.env.CCTRADER_LONG_TESTS === '1';
const SEED = Number(process.env.CRASH_SEED ?? 20_261_120);
/** SIGKILLs of the rules-analyst scanner, of the Claude scanner, and during first-start migrations. */
const KILLS = LONG ? 48 : 6;
const CLAUDE_KILLS = LONG ? 8 : 2;
const MIGRATION_KILLS = LONG ? 16 : 3;
const PRELOAD = pathToFileURL(fileURLToPath(new URL('../helpers/shifted-clock.mjs', import.meta.url))).href;

/** Seeded choices (the project's mulberry32), so that a failing schedule can be replayed with CRASH_SEED. */
function prng(seed: number): { next(): number; int(lo: number, hi: number): number; pick<T>(items: readonly T[]): T } {
  const next = mulberry32(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  return { next, int, pick: (items) => items[int(0, items.length - 1)]! };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---- the child ------------------------------------------------------------------------------

interface Child {
  proc: ChildProcess;
  /** stderr, line by line: progress notes and log lines. */
  lines: string[];
  stdout: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited: boolean;
  /** Resolves when `n` stderr lines have come, the child has exited, or `timeoutMs` passed. */
  waitLines(n: number, timeoutMs: number): Promise<void>;
  /** SIGKILL to the child's process group (the scanner and any `claude` binary it started). */
  kill(): Promise<void>;
}

const live = new Set<Child>();

/** `node --import shifted-clock.mjs bin/cctrader.js ...args`, its clock `offsetMs` ahead, in its own process group. */
function startChild(args: string[], env: Record<string, string>, offsetMs: number): Child {
  const proc = spawn(process.execPath, ['--import', PRELOAD, BIN, ...args], {
    env: childEnv({ ...env, TEST_CLOCK_OFFSET_MS: String(Math.round(offsetMs)) }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let partial = '';
  const waiters = new Set<() => void>();
  const child: Child = {
    proc,
    lines: [],
    stdout: '',
    exited: false,
    exit: new Promise((resolve) =>
      proc.on('close', (code, signal) => {
        child.exited = true;
        live.delete(child);
        for (const w of waiters) w();
        resolve({ code, signal });
      }),
    ),
    waitLines(n, timeoutMs) {
      return new Promise((resolve) => {
        if (child.lines.length >= n || child.exited) return resolve();
        const timer = setTimeout(done, timeoutMs);
        function done(): void {
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        }
        function check(): void {
          if (child.lines.length >= n || child.exited) done();
        }
        waiters.add(check);
      });
    },
    async kill() {
      if (!child.exited) {
        try {
          process.kill(-proc.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await child.exit;
    },
  };
  proc.stdout!.on('data', (d: Buffer) => (child.stdout += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => {
    partial += d.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    child.lines.push(...parts);
    for (const w of waiters) w();
  });
  live.add(child);
  return child;
}

afterEach(async () => {
  await Promise.all([...live].map((c) => c.kill()));
});

async function withDb<T>(path: string, fn: (database: Database) => Promise<T>): Promise<T> {
  const database = openDatabase(path);
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

/** The state right after a kill: sound file, whole records. Returns the cycles left running. */
async function checkAfterKill(path: string, context: string): Promise<string[]> {
  expect(integrityCheck(path), context).toBe('ok');
  return withDb(path, async ({ db }) => {
    expect(await storeViolations(db), context).toEqual([]);
    return runningCycles(db);
  });
}

/** The exchange ids (SOLUSDT) of the coins the database holds open positions in. */
async function heldSymbols(path: string): Promise<string[]> {
  return withDb(path, async ({ db }) => {
    const rows = await db.selectFrom('paper_positions').select('symbol').distinct().where('status', '=', 'open').execute();
    return rows.map((r) => r.symbol.split(':')[0]!.replace('/', ''));
  });
}

/** Ledger invariants (tests/trading/ledger-check.ts) over the same file, with the simulator's clock. */
async function checkLedgerOn(path: string, sim: SimExchange): Promise<void> {
  const config = loadConfig({ env: { EXCHANGE_BASE_URL: sim.url, DB_PATH: path, EXCHANGE_RATE_LIMIT: 'false', LOG_LEVEL: 'error' } });
  const app = await createDeps(config, { writeLog: () => undefined, retryBaseDelayMs: 5, clock: { now: () => sim.clock.now() } });
  try {
    await checkLedger(app.deps);
    await checkRollups(app.deps);
  } finally {
    await app.close();
  }
}

const recoveries = (lines: string[]) => ({
  resumed: lines.flatMap((l) => /^resuming interrupted cycle (\S+)/.exec(l)?.[1] ?? []),
  abandoned: lines.flatMap((l) => /^closed interrupted cycle (\S+)/.exec(l)?.[1] ?? []),
});

// ---- rules analyst ----------------------------------------------------------------------------

/**
 * Waits for a seeded random point of the run and says which: mostly inside the first cycle (j lines
 * after the scan: each mover prints "analysing" when its analysis starts and its outcome after its
 * signal was filled and recorded; the last ones are followed by the evaluation and the cycle's
 * bookkeeping), sometimes during start-up, sometimes in the wait after the cycle.
 */
async function killPoint(child: Child, rng: ReturnType<typeof prng>): Promise<string> {
  const roll = rng.next();
  if (roll < 0.1) {
    const ms = rng.int(150, 1000);
    await sleep(ms);
    return `${ms} ms after the start`;
  }
  if (roll > 0.9) {
    const ms = rng.int(0, 300);
    await waitFor(child, (l) => l.startsWith('next cycle at'), 8000);
    await sleep(ms);
    return `${ms} ms into the wait after the cycle`;
  }
  const scanned = await waitFor(child, (l) => /^scanned \d+ markets/.test(l), 8000);
  const movers = Number(/(\d+) to analyse/.exec(child.lines[scanned] ?? '')?.[1] ?? 0);
  const j = rng.int(0, 2 * movers);
  const ms = rng.int(0, 120);
  await child.waitLines(scanned + 1 + j, 5000);
  await sleep(ms);
  return `${ms} ms after line ${j} of ${2 * movers} of the cycle`;
}

/** The index of the first stderr line matching, once it has come (-1 on timeout or exit). */
async function waitFor(child: Child, match: (line: string) => boolean, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const index = child.lines.findIndex(match);
    if (index >= 0 || child.exited || Date.now() > deadline) return index;
    await child.waitLines(child.lines.length + 1, Math.max(1, deadline - Date.now()));
  }
}

describe('SIGKILL of the scanner (rules analyst) at random points, and restarts', () => {
  let sim: SimExchange;
  afterAll(async () => {
    await sim?.close();
  });

  it(
    `${KILLS} kills across cycles: the file stays sound, nothing executes twice, every cycle ends, the ledger holds`,
    async () => {
      const rng = prng(SEED);
      sim = await startSimExchange({ seed: SEED % 1000 });
      const dir = mkdtempSync(join(tmpdir(), 'cctrader-crash-'));
      const dbPath = join(dir, 'desk.db');
      // The daily loss breaker off (the gaps below lose more than a stop's risk): the desk keeps trading across all the kills.
      const env = {
        EXCHANGE_BASE_URL: sim.url,
        DB_PATH: dbPath,
        EXCHANGE_RATE_LIMIT: 'false',
        EXCHANGE_TIMEOUT_MS: '5000',
        ANALYST: 'rules',
        LOG_LEVEL: 'warn',
        DAILY_LOSS_LIMIT_PCT: '100',
        MAX_OPEN_POSITIONS: '8',
      };
      const offset = () => sim.clock.now() - Date.now();
      /** How the next start comes: at once (the dead cycle's heartbeat is still fresh), a minute or two later
       * with a long interval (it is resumed), or hours later (it is closed as failed). */
      const pattern = ['quick', 'resume', 'quick', 'late'] as const;
      let mode: (typeof pattern)[number] = 'late';
      const interrupted = new Set<string>();
      /** What the last start that found an interrupted cycle did with it. */
      const lastRecovery = new Map<string, 'resumed' | 'abandoned'>();
      const schedule: string[] = [];
      let cyclesCompletedInRuns = 0;

      for (let i = 0; i < KILLS; i++) {
        const interval = mode === 'resume' ? 600 : 10;
        const child = startChild(['scan-movers', '--json', '--interval', String(interval)], env, offset());
        const where = await killPoint(child, rng);
        const context = `seed ${SEED}, run ${i} (${mode}, killed ${where})\n${child.lines.join('\n')}`;
        expect(child.exited, `the scanner exited by itself: ${context}`).toBe(false);
        await child.kill();
        schedule.push(
          `run ${i}: ${mode}, killed ${where}; ${child.lines.filter((l) => /interrupted cycle|started/.test(l)).join(', ')}; last line: ${child.lines.at(-1)}`,
        );
        cyclesCompletedInRuns += child.stdout.split('\n').filter((l) => l.startsWith('{')).length;

        const r = recoveries(child.lines);
        for (const id of r.resumed) expect(interrupted.has(id), `resumed ${id}, which was not interrupted: ${context}`).toBe(true);
        for (const id of r.abandoned) expect(interrupted.has(id), `closed ${id}, which was not interrupted: ${context}`).toBe(true);
        r.resumed.forEach((id) => lastRecovery.set(id, 'resumed'));
        r.abandoned.forEach((id) => lastRecovery.set(id, 'abandoned'));
        for (const id of await checkAfterKill(dbPath, context)) interrupted.add(id);

        // Move the market before the next start: the held coins gap, the clock goes forward.
        for (const symbol of await heldSymbols(dbPath)) if (rng.next() < 0.6) sim.shock(symbol, rng.pick([-1, 1]) * rng.int(3, 9));
        // The last restarts come at once, so that the last start finds several dead cycles.
        mode = i >= KILLS - 3 ? 'quick' : pattern[i % pattern.length]!;
        sim.clock.advance(mode === 'quick' ? rng.int(0, 3_000) : mode === 'resume' ? rng.int(61_000, 180_000) : rng.int(15, 180) * 60_000);
      }

      // The last start, a minute after the last kill: it runs one cycle to the end and exits.
      sim.clock.advance(61_000);
      const last = startChild(['scan-movers', '--once', '--json', '--interval', '600'], env, offset());
      const end = await last.exit;
      expect(end.code, last.lines.join('\n')).toBe(0);
      const report = JSON.parse(last.stdout) as { status: string; cycleId: string };
      expect(report.status).toBe('completed');
      const r = recoveries(last.lines);
      r.resumed.forEach((id) => lastRecovery.set(id, 'resumed'));
      r.abandoned.forEach((id) => lastRecovery.set(id, 'abandoned'));

      expect(integrityCheck(dbPath)).toBe('ok');
      await withDb(dbPath, async ({ db }) => {
        const context = `seed ${SEED}\n${schedule.join('\n')}`;
        expect(await storeViolations(db), context).toEqual([]);
        // Every cycle has ended: none is left running, whatever the order of quick and late restarts.
        expect(await runningCycles(db), context).toEqual([]);
        const cycles = await db.selectFrom('scan_cycles').select(['id', 'status', 'stop_code']).execute();
        const byId = new Map(cycles.map((c) => [c.id, c]));
        // An interrupted cycle was taken up by a later start: resumed under its id and finished, or closed as failed.
        for (const id of interrupted) {
          const c = byId.get(id)!;
          if (lastRecovery.get(id) === 'resumed') expect(['completed', 'stopped'], `${id} resumed`).toContain(c.status);
          else expect(c, `${id} interrupted and not resumed: closed as failed`).toMatchObject({ status: 'failed', stop_code: 'INTERRUPTED' });
        }
        expect(interrupted.size, `no kill landed inside a cycle: ${context}`).toBeGreaterThan(0);
        const resumed = [...lastRecovery.values()].filter((v) => v === 'resumed').length;
        // The desk traded, and stops or targets fired across restarts.
        const executed = await db
          .selectFrom('movers_signals')
          .select(sql<number>`count(*)`.as('n'))
          .where('status', '=', 'executed')
          .executeTakeFirstOrThrow();
        expect(executed.n).toBeGreaterThan(0);
        const closed = await db
          .selectFrom('paper_positions')
          .select(sql<number>`count(*)`.as('n'))
          .where('exit_reason', 'in', ['stop_loss', 'take_profit'])
          .executeTakeFirstOrThrow();
        expect(closed.n, context).toBeGreaterThan(0);
        // Movers of a resumed cycle whose signal was decided before the kill took the stored outcome.
        const replayed = await db
          .selectFrom('scan_cycle_movers')
          .select(sql<number>`count(*)`.as('n'))
          .where('replayed', '=', 1)
          .executeTakeFirstOrThrow();
        console.info(
          `crash (rules): seed ${SEED}, ${KILLS} kills, ${cycles.length} cycles (${cyclesCompletedInRuns} completed before a kill), ` +
            `${interrupted.size} interrupted: ${resumed} resumed, ${lastRecovery.size - resumed} closed; ` +
            `${executed.n} executed, ${replayed.n} replayed after a kill, ${closed.n} stopped/targeted`,
        );
      });
      await checkLedgerOn(dbPath, sim);
    },
    LONG ? 900_000 : 60_000,
  );
});

// ---- recovery of interrupted cycles, in-process after a real kill -------------------------------

describe('recovery of the cycles a kill interrupted', () => {
  let sim: SimExchange;
  let dbPath: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    sim = await startSimExchange({ seed: (SEED % 1000) + 2 });
    dbPath = join(mkdtempSync(join(tmpdir(), 'cctrader-crash-recover-')), 'desk.db');
    env = { EXCHANGE_BASE_URL: sim.url, DB_PATH: dbPath, EXCHANGE_RATE_LIMIT: 'false', ANALYST: 'rules', LOG_LEVEL: 'warn' };
  });
  afterAll(async () => {
    await sim?.close();
  });

  /** Deps on the test's database file, on the simulator's clock. */
  async function inProcess() {
    const config = loadConfig({ env: { ...env, LOG_LEVEL: 'error' } });
    return createDeps(config, { writeLog: () => undefined, retryBaseDelayMs: 5, clock: { now: () => sim.clock.now() } });
  }

  it('a scanner started at once after a crash (the dead heartbeat still fresh) closes the dead cycle a minute later, without another restart', async () => {
    const child = startChild(['scan-movers', '--json', '--interval', '10'], env, sim.clock.now() - Date.now());
    expect(await waitFor(child, (l) => l.startsWith('analysing'), 15_000), child.lines.join('\n')).toBeGreaterThanOrEqual(0);
    await child.kill();
    const dead = await withDb(dbPath, ({ db }) => runningCycles(db));
    expect(dead).toHaveLength(1);

    const app = await inProcess();
    try {
      const recoveries: Array<{ cycleId: string; action: string; afterCycles: number }> = [];
      const stop = new AbortController();
      let cycles = 0;
      await runScanner(app.deps, {
        analyst: new RulesAnalyst(app.deps),
        intervalMs: 40_000,
        once: false,
        stop: stop.signal,
        // Waiting for the next cycle lets the market's clock run.
        sleep: async (ms) => sim.clock.advance(Math.max(0, ms)),
        onRecovery: (r) => recoveries.push({ ...r, afterCycles: cycles }),
        onCycle: () => {
          cycles += 1;
          if (cycles === 4) stop.abort();
        },
      });
      // Fresh at the start (left alone: it might be another process's), stale from the third cycle on (80 s later).
      expect(recoveries).toEqual([{ cycleId: dead[0], action: 'abandoned', afterCycles: 2 }]);
      expect(await runningCycles(app.deps.db)).toEqual([]);
      expect(await app.deps.db.selectFrom('scan_cycles').select(['status', 'stop_code']).where('id', '=', dead[0]!).executeTakeFirst()).toEqual({
        status: 'failed',
        stop_code: 'INTERRUPTED',
      });
      expect(await storeViolations(app.deps.db)).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('a start that finds several dead cycles (quick restarts, each killed in turn) resumes the newest and closes every other one', async () => {
    const dead: string[] = [];
    // A portfolio of its own, with free slots (the test above filled the default one), so that the movers are analysed.
    const setup = await inProcess();
    await createPortfolio(setup.deps, 'several', 10_000).finally(() => setup.close());
    for (let i = 0; i < 2; i++) {
      const child = startChild(['scan-movers', '--json', '--interval', '600', '--portfolio', 'several'], env, sim.clock.now() - Date.now());
      expect(await waitFor(child, (l) => l.startsWith('analysing'), 15_000), child.lines.join('\n')).toBeGreaterThanOrEqual(0);
      await child.kill();
      sim.clock.advance(2_000);
      const running = await withDb(dbPath, ({ db }) => runningCycles(db));
      dead.push(...running.filter((id) => !dead.includes(id)));
    }
    expect(dead).toHaveLength(2);
    // Started a minute later: both heartbeats are stale.
    sim.clock.advance(61_000);
    const app = await inProcess();
    try {
      const recoveries: string[] = [];
      const [report] = await new Promise<CycleResult[]>((resolve, reject) => {
        const out: CycleResult[] = [];
        runScanner(app.deps, {
          analyst: new RulesAnalyst(app.deps),
          intervalMs: 600_000,
          once: true,
          stop: new AbortController().signal,
          onRecovery: (r) => recoveries.push(`${r.action} ${r.cycleId}`),
          onCycle: (r) => out.push(r),
        }).then(() => resolve(out), reject);
      });
      expect(recoveries).toEqual([`resumed ${dead[1]}`, `abandoned ${dead[0]}`]);
      expect(report).toMatchObject({ cycleId: dead[1], resumed: true, status: 'completed' });
      expect(await runningCycles(app.deps.db)).toEqual([]);
      expect(await storeViolations(app.deps.db)).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it("a cycle closed after a kill between a fill and its mover record counts the fill (the mover takes its signal's outcome)", async () => {
    // The state a SIGKILL leaves when it lands in the millisecond between the commit of a fill and the
    // update of the mover's row (random kills rarely hit it): signal executed, mover still pending.
    const app = await inProcess();
    try {
      const { db } = app.deps;
      await createPortfolio(app.deps, 'interrupted', 10_000);
      const done = await runCycle(app.deps, { analyst: new RulesAnalyst(app.deps), portfolio: 'interrupted' });
      const filled = done.movers.find((m) => m.outcome === 'executed');
      expect(filled, 'the cycle executed a signal').toBeDefined();
      await db.updateTable('scan_cycles').set({ status: 'running', heartbeat_at: sim.clock.now() }).where('id', '=', done.cycleId).execute();
      await db
        .updateTable('scan_cycle_movers')
        .set({ outcome: 'pending', code: null, reason: null, signal_row_id: null, direction: null, confidence: null })
        .where('cycle_id', '=', done.cycleId)
        .where('symbol', '=', filled!.symbol)
        .execute();
      // Restarted an hour later: too old to resume, so it is closed.
      sim.clock.advance(3_600_000);
      const recoveries: string[] = [];
      await runScanner(app.deps, {
        analyst: new RulesAnalyst(app.deps),
        intervalMs: 60_000,
        once: true,
        stop: new AbortController().signal,
        onRecovery: (r) => recoveries.push(`${r.action} ${r.cycleId}`),
        onCycle: () => undefined,
      });
      expect(recoveries).toEqual([`abandoned ${done.cycleId}`]);
      const report = (await cycleReport(db, done.cycleId))!;
      expect(report).toMatchObject({ status: 'failed', executed: done.executed, signals: done.signals });
      expect(report.movers.find((m) => m.symbol === filled!.symbol)).toMatchObject({ outcome: 'executed', signal: { rowId: filled!.signal!.rowId } });
      expect(await storeViolations(db)).toEqual([]);
    } finally {
      await app.close();
    }
  });
});

// ---- first start: a kill during the migrations ------------------------------------------------

describe('SIGKILL during the first start (the schema migrations)', () => {
  it(
    `${MIGRATION_KILLS} kills while a fresh database is being created: the next start migrates it completely`,
    async () => {
      const rng = prng(SEED + 1);
      for (let i = 0; i < MIGRATION_KILLS; i++) {
        const dir = mkdtempSync(join(tmpdir(), 'cctrader-crash-migrate-'));
        const dbPath = join(dir, 'desk.db');
        const env = { DB_PATH: dbPath, LOG_LEVEL: 'warn' };
        const child = startChild(['db', 'migrate', '--json'], env, 0);
        // Wait for the migrator's own table (the migrations start right after it), then kill a few ms in.
        let started = false;
        const deadline = Date.now() + 10_000;
        while (!started && !child.exited && Date.now() < deadline) {
          if (existsSync(dbPath)) {
            try {
              const handle = new SQLite(dbPath, { readonly: true, fileMustExist: true });
              try {
                started = handle.prepare(`select count(*) as n from sqlite_master where name = 'kysely_migration'`).pluck().get() === 1;
              } finally {
                handle.close();
              }
            } catch {
              // the file is being created
            }
          }
          if (!started) await sleep(1);
        }
        await sleep(rng.int(0, 12));
        await child.kill();

        const again = startChild(['db', 'migrate', '--json'], env, 0);
        const end = await again.exit;
        expect(end.code, `attempt ${i}: the restart could not migrate\n${again.lines.join('\n')}`).toBe(0);
        expect(integrityCheck(dbPath)).toBe('ok');
        await withDb(dbPath, async ({ db }) => {
          expect((await migrationStatus(db)).filter((m) => !m.applied)).toEqual([]);
          expect(await storeViolations(db)).toEqual([]);
        });
      }
    },
    LONG ? 300_000 : 30_000,
  );

  it('pending migrations apply in one transaction: one that fails part-way leaves nothing behind', async () => {
    const database = openDatabase(join(mkdtempSync(join(tmpdir(), 'cctrader-crash-migrate-')), 'desk.db'));
    try {
      const migrator = new Migrator({
        db: database.db,
        provider: {
          getMigrations: async () => ({
            '0001_a': { up: async (db: Kysely<any>) => void (await db.schema.createTable('a').addColumn('id', 'integer').execute()) },
            '0002_b': {
              up: async (db: Kysely<any>) => {
                await db.schema.createTable('b').addColumn('id', 'integer').execute();
                throw new Error('the process died here');
              },
            },
          }),
        },
      });
      expect((await migrator.migrateToLatest()).error).toBeInstanceOf(Error);
      const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name in ('a', 'b')`.execute(database.db);
      expect(tables.rows).toEqual([]);
      expect(
        await database.db
          .selectFrom('kysely_migration' as never)
          .selectAll()
          .execute(),
      ).toEqual([]);
    } finally {
      await database.close();
    }
  });
});

// ---- Claude analyst, daily session ------------------------------------------------------------

/** A model that gathers evidence with the real tools, then submits with the signal_id it was given. */
function respond(req: RecordedRequest): FakeTurn {
  const task = currentMoverTask(req);
  if (task.results.length === 0) {
    return {
      kind: 'tool_use',
      text: 'Gathering evidence.',
      tools: [
        { name: 'mcp__cctrader__fetch_technical_snapshot', input: { symbol: task.symbol } },
        { name: 'mcp__cctrader__get_current_price', input: { symbol: task.symbol } },
      ],
    };
  }
  if (task.results.length === 2) {
    // The snapshot's answer (tool results come in the order the calls finished).
    let snap: { alignment?: string; price?: number; stopDistance?: { price?: number } | null } = {};
    for (const result of task.results) {
      try {
        const parsed = JSON.parse(result.text.split('\n')[0]!);
        if (!result.isError && parsed && typeof parsed === 'object' && 'stopDistance' in parsed) snap = parsed;
      } catch {
        // an error answer
      }
    }
    const entry = snap.price;
    const d = snap.stopDistance?.price;
    if (!entry || !d) return text(`${task.symbol}: the snapshot is not usable; no signal.`);
    return { kind: 'tool_use', tools: [submitFromSnapshot(task, { alignment: snap.alignment, price: entry, stopDistance: { price: d } })] };
  }
  return text(`Submitted ${task.signalId ?? task.symbol}.`);
}

describe('SIGKILL of the scanner (Claude analyst, daily session), and restarts', () => {
  let sim: SimExchange;
  let fake: FakeAnthropic;
  afterAll(async () => {
    await sim?.close();
    await fake?.close();
  });

  it(
    `${CLAUDE_KILLS} kills during analyses: the day's one session is resumed by every restart, nothing executes twice`,
    async () => {
      const rng = prng(SEED + 2);
      fake = await startFakeAnthropic({ apiKey: 'sk-ant-test-key' });
      let run = 0;
      const byRun: Array<{ run: number; request: RecordedRequest }> = [];
      fake.setFallback({
        kind: 'dynamic',
        respond: (request) => {
          byRun.push({ run, request });
          return respond(request);
        },
      });
      // Mid-morning UTC, so that the restarts (a minute or two apart) stay on the same trading day.
      const start = Date.parse('2026-11-21T10:00:00Z');
      const day = '2026-11-21';
      sim = await startSimExchange({ seed: (SEED % 1000) + 1 });
      sim.clock.set(start);
      const dir = mkdtempSync(join(tmpdir(), 'cctrader-crash-claude-'));
      const dbPath = join(dir, 'desk.db');
      const env = {
        EXCHANGE_BASE_URL: sim.url,
        DB_PATH: dbPath,
        AGENT_DIR: join(dir, 'agent'),
        EXCHANGE_RATE_LIMIT: 'false',
        ANTHROPIC_API_KEY: 'sk-ant-test-key',
        ANTHROPIC_BASE_URL: fake.url,
        CLAUDE_MAX_RETRIES: '0',
        LOG_LEVEL: 'warn',
      };
      const args = ['scan-movers', '--analyst', 'claude', '--daily', '--max-movers', '2', '--interval', '600', '--json'];
      const offset = () => sim.clock.now() - Date.now();
      const schedule: string[] = [];

      for (; run < CLAUDE_KILLS; run++) {
        const child = startChild(args, env, offset());
        // Kill after the k-th model request of this run: mid-gathering, mid-submission (the fill) or in the wrap-up.
        const k = rng.int(run === 0 ? 2 : 1, 5);
        const delay = rng.int(0, 400);
        const deadline = Date.now() + 20_000;
        const waiting = () => child.lines.some((l) => l.startsWith('next cycle at'));
        while (byRun.filter((r) => r.run === run).length < k && !waiting() && !child.exited && Date.now() < deadline) await sleep(10);
        await sleep(delay);
        const context = `seed ${SEED}, claude run ${run} (kill after request ${k} + ${delay} ms)\n${child.lines.join('\n')}`;
        expect(child.exited, `the scanner exited by itself: ${context}`).toBe(false);
        await child.kill();
        schedule.push(`run ${run}: ${byRun.filter((r) => r.run === run).length} requests, killed after request ${k} + ${delay} ms`);
        await checkAfterKill(dbPath, context);
        sim.clock.advance(rng.int(61_000, 150_000));
      }

      // The last start, with a short interval: the interrupted cycles are closed and a new one analyses two movers.
      const last = startChild(['scan-movers', '--analyst', 'claude', '--daily', '--max-movers', '2', '--interval', '10', '--once', '--json'], env, offset());
      const end = await last.exit;
      expect(end.code, last.lines.join('\n')).toBe(0);
      expect(JSON.parse(last.stdout)).toMatchObject({ status: 'completed', daily: true });
      const context = `seed ${SEED}\n${schedule.join('\n')}`;

      expect(integrityCheck(dbPath)).toBe('ok');
      await withDb(dbPath, async ({ db }) => {
        expect(await storeViolations(db), context).toEqual([]);
        expect(await runningCycles(db), context).toEqual([]);
        // One conversation for the day, used by every run of every process.
        const sessions = await db.selectFrom('agent_sessions').selectAll().execute();
        expect(sessions.map((s) => s.operation_type)).toEqual([`scanner-${day}`]);
        const sessionId = sessions[0]!.session_id;
        const movers = await db.selectFrom('scan_cycle_movers').select(['session_id', 'cycle_id']).where('session_id', 'is not', null).execute();
        expect(new Set(movers.map((m) => m.session_id))).toEqual(new Set([sessionId]));
        const executed = await db.selectFrom('movers_signals').select(['signal_id']).where('status', '=', 'executed').execute();
        expect(executed.length, context).toBeGreaterThan(0);
      });

      // The restarted processes continued the conversation: the last request of the last run carries
      // the mover prompts of the earlier runs (those whose first turn was answered and followed up).
      const lastRequest = byRun.filter((r) => r.run === run).at(-1)?.request;
      expect(lastRequest, `the last run asked the model nothing: ${context}\n${last.lines.join('\n')}`).toBeDefined();
      const earlier = new Set<string>();
      for (let r = 0; r < run; r++) {
        const own = byRun.filter((x) => x.run === r);
        if (own.length >= 2) earlier.add(currentMoverTask(own[0]!.request).signalId!);
      }
      expect(earlier.size, context).toBeGreaterThan(0);
      for (const signalId of earlier) expect(requestText(lastRequest!), `${signalId} carried into the last run`).toContain(signalId);
      await checkLedgerOn(dbPath, sim);
    },
    LONG ? 600_000 : 60_000,
  );
});
