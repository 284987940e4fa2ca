/**
 * Spend caps of the unattended runner, computed from recorded spend (`token_usage`, every provider,
 * every process on this database), never from an in-memory guess:
 *
 * - per analysis: MAX_BUDGET_USD, handed to the SDK as the run's `maxBudgetUsd`, cut further to the
 *   room left under the two caps below, so a run cannot spend past them by more than the one model
 *   turn during which the SDK notices;
 * - per cycle: CYCLE_BUDGET_USD over the spend recorded since this run of the cycle began;
 * - per UTC day: DAILY_BUDGET_USD over the spend recorded since 00:00 UTC.
 *
 * Runs in flight hold their budget as a reservation until their spend is recorded, so concurrent
 * analyses cannot jointly overrun a cap. An analysis starts only with at least 10 % of
 * MAX_BUDGET_USD of room; below that the cap counts as reached. Fail closed: when the spend cannot
 * be read, or a run ended without the SDK reporting what it spent, no further analysis starts.
 *
 * Given the window settings (a full Config has them), the guard also checks the Claude request
 * windows (usage/windows.ts) before the caps: a run in flight holds MAX_TURNS requests, so
 * concurrent analyses cannot jointly pass a threshold either. Past TOKEN_CRITICAL_THRESHOLD, or at
 * the limit, nothing starts (scope `requests`, until the window resets); past
 * TOKEN_WARNING_THRESHOLD the reservation carries a warning. With TOKEN_TRACKING_ENABLED=false no
 * spend is recorded, so the caps cannot be checked: no analysis that spends starts (fail closed).
 */
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { DB } from '../db/schema.js';
import type { Clock } from '../shared/clock.js';
import { Dec, toDec } from '../shared/money.js';
import type { RunSpend } from './agent-run.js';
import { assessWindows, readWindows, windowSettings, type WindowConfig, type WindowType } from './windows.js';

export const DAY_MS = 86_400_000;
/** Least room (as a share of MAX_BUDGET_USD) an analysis is started with. */
export const MIN_ROOM_SHARE = 0.1;

export function utcDayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** USD recorded since `since` (epoch ms, inclusive), every provider. */
export async function spentSince(db: Kysely<DB>, since: number): Promise<Dec> {
  const rows = await db.selectFrom('token_usage').select('cost_usd').where('created_at', '>=', since).execute();
  return rows.reduce((sum, r) => sum.plus(toDec(r.cost_usd)), new Dec(0));
}

/** `requests`: a Claude request window (hourly or daily) is critical or at its limit. */
export type CapScope = 'cycle' | 'day' | 'unknown' | 'requests';

export type Reservation =
  | {
      ok: true;
      budgetUsd: number;
      /** Set when a request window is past the warning threshold (the analysis may still start). */
      warning: string | null;
      release(spend: RunSpend | null): void;
    }
  | {
      ok: false;
      scope: CapScope;
      message: string;
      /** When the window allows again (epoch ms); null for the cycle cap (next cycle). */
      until: number | null;
      /** The request window that refused (scope `requests`). */
      window?: WindowType;
    };

/** The settings the guard reads. Without the window settings, request windows are not checked. */
export type GuardConfig = Pick<Config, 'MAX_BUDGET_USD' | 'CYCLE_BUDGET_USD' | 'DAILY_BUDGET_USD'> &
  Partial<WindowConfig & Pick<Config, 'TOKEN_TRACKING_ENABLED' | 'MAX_TURNS'>>;

function windowConfigOf(config: GuardConfig): WindowConfig | null {
  const { CLAUDE_HOURLY_LIMIT, CLAUDE_DAILY_LIMIT, TOKEN_WARNING_THRESHOLD, TOKEN_CRITICAL_THRESHOLD } = config;
  if (CLAUDE_HOURLY_LIMIT === undefined || CLAUDE_DAILY_LIMIT === undefined || TOKEN_WARNING_THRESHOLD === undefined || TOKEN_CRITICAL_THRESHOLD === undefined)
    return null;
  return { CLAUDE_HOURLY_LIMIT, CLAUDE_DAILY_LIMIT, TOKEN_WARNING_THRESHOLD, TOKEN_CRITICAL_THRESHOLD };
}

const usd = (d: Dec | number): string => `$${toDec(d).toDecimalPlaces(2, Dec.ROUND_UP).toFixed(2)}`;

export class SpendGuard {
  private readonly reservations = new Map<number, number>();
  /** Requests each analysis in flight may still make (MAX_TURNS). */
  private readonly heldRequests = new Map<number, number>();
  private nextId = 1;
  private unknownRuns = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: { db: Kysely<DB>; clock: Clock; config: GuardConfig },
    /** Start of this cycle's spend window, epoch ms. */
    private readonly cycleStart: number,
  ) {}

  /** A budget for the next analysis, or why none may start. Calls are serialized. */
  reserve(): Promise<Reservation> {
    const next = this.queue.then(() => this.reserveNow());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async reserveNow(): Promise<Reservation> {
    const { config } = this.deps;
    const now = this.deps.clock.now();
    if (this.unknownRuns > 0) {
      return {
        ok: false,
        scope: 'unknown',
        until: null,
        message: 'an analysis ended without a spend report: no further analysis this cycle (spend caps fail closed)',
      };
    }
    if (config.TOKEN_TRACKING_ENABLED === false) {
      return {
        ok: false,
        scope: 'unknown',
        until: null,
        message:
          'token tracking is off (TOKEN_TRACKING_ENABLED=false): spend is not recorded, so the spend caps cannot be checked and no analysis that spends starts (they fail closed)',
      };
    }
    const windowConfig = windowConfigOf(config);
    let day: Dec;
    let cycle: Dec;
    let warning: string | null = null;
    try {
      [day, cycle] = await Promise.all([spentSince(this.deps.db, utcDayStart(now)), spentSince(this.deps.db, this.cycleStart)]);
      if (windowConfig) {
        const settings = windowSettings(windowConfig);
        const held = [...this.heldRequests.values()].reduce((s, v) => s + v, 0);
        const verdict = assessWindows(await readWindows(this.deps.db, now, settings), settings, held);
        if ((verdict.level === 'critical' || verdict.level === 'limit') && verdict.window) {
          return { ok: false, scope: 'requests', window: verdict.window, until: verdict.until, message: verdict.message ?? 'a Claude request window is full' };
        }
        warning = verdict.message;
      }
    } catch {
      return { ok: false, scope: 'unknown', until: null, message: 'recorded spend could not be read: no analysis started (spend caps fail closed)' };
    }
    const reserved = [...this.reservations.values()].reduce((s, v) => s + v, 0);
    const dayRoom = toDec(config.DAILY_BUDGET_USD).minus(day).minus(reserved);
    const cycleRoom = toDec(config.CYCLE_BUDGET_USD).minus(cycle).minus(reserved);
    const minRoom = toDec(config.MAX_BUDGET_USD).times(MIN_ROOM_SHARE);
    if (dayRoom.lt(minRoom)) {
      const until = utcDayStart(now) + DAY_MS;
      return {
        ok: false,
        scope: 'day',
        until,
        message: `daily spend cap ${usd(config.DAILY_BUDGET_USD)} reached (${usd(day)} spent today${reserved > 0 ? `, ${usd(reserved)} held by analyses in flight` : ''}): analyses resume at ${new Date(until).toISOString()}`,
      };
    }
    if (cycleRoom.lt(minRoom)) {
      return {
        ok: false,
        scope: 'cycle',
        until: null,
        message: `cycle spend cap ${usd(config.CYCLE_BUDGET_USD)} reached (${usd(cycle)} spent this cycle${reserved > 0 ? `, ${usd(reserved)} held by analyses in flight` : ''}): analyses resume with the next cycle`,
      };
    }
    const budgetUsd = Dec.min(config.MAX_BUDGET_USD, dayRoom, cycleRoom).toDecimalPlaces(4, Dec.ROUND_DOWN).toNumber();
    const id = this.nextId++;
    this.reservations.set(id, budgetUsd);
    if (windowConfig) this.heldRequests.set(id, config.MAX_TURNS ?? 20);
    let released = false;
    return {
      ok: true,
      budgetUsd,
      warning,
      release: (spend) => {
        if (released) return;
        released = true;
        this.reservations.delete(id);
        this.heldRequests.delete(id);
        if (spend === null || !spend.exact) this.unknownRuns += 1;
      },
    };
  }
}
