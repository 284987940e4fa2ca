/**
 * Claude request windows (`rate_limit_tracking`), the original's "Claude Code rate limits":
 * CLAUDE_HOURLY_LIMIT model requests per hourly window and CLAUDE_DAILY_LIMIT per daily window.
 *
 * A window works like Claude Code's own usage windows: it opens with the first model request
 * recorded after the previous window of its kind closed, and lasts one hour (one day) from then;
 * every request recorded meanwhile is counted into it (`request_count`, and `token_count` =
 * input + output + cache-write tokens). When it closes, the count starts again from zero with the
 * next request. Only Anthropic requests count (Perplexity has its own limits).
 *
 * Levels of a window, from its request count against the limit:
 * - `ok` (green) below TOKEN_WARNING_THRESHOLD %;
 * - `warning` (yellow) from it: the runner says so and goes on;
 * - `critical` (red) from TOKEN_CRITICAL_THRESHOLD %: the runner waits until the window resets;
 * - `limit` (red) at the limit itself: no analysis starts.
 * A warning threshold above the critical one counts as the critical one.
 */
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { DB } from '../db/schema.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../log.js';

export const WINDOW_TYPES = ['hourly', 'daily'] as const;
export type WindowType = (typeof WINDOW_TYPES)[number];
export const WINDOW_MS: Record<WindowType, number> = { hourly: 3_600_000, daily: 86_400_000 };

export type WindowLevel = 'ok' | 'warning' | 'critical' | 'limit';

export interface WindowSettings {
  hourlyLimit: number;
  dailyLimit: number;
  warningPct: number;
  criticalPct: number;
}

export type WindowConfig = Pick<Config, 'CLAUDE_HOURLY_LIMIT' | 'CLAUDE_DAILY_LIMIT' | 'TOKEN_WARNING_THRESHOLD' | 'TOKEN_CRITICAL_THRESHOLD'>;

export function windowSettings(config: WindowConfig): WindowSettings {
  const criticalPct = config.TOKEN_CRITICAL_THRESHOLD;
  return {
    hourlyLimit: config.CLAUDE_HOURLY_LIMIT,
    dailyLimit: config.CLAUDE_DAILY_LIMIT,
    warningPct: Math.min(config.TOKEN_WARNING_THRESHOLD, criticalPct),
    criticalPct,
  };
}

export interface WindowState {
  window: WindowType;
  limit: number;
  /** Requests recorded in the open window (0 when none is open). */
  requests: number;
  tokens: number;
  /** requests / limit × 100, one decimal. */
  pct: number;
  level: WindowLevel;
  /** Epoch ms; null when no window is open. */
  openedAt: number | null;
  resetsAt: number | null;
}

const LIMIT_SETTING: Record<WindowType, string> = { hourly: 'CLAUDE_HOURLY_LIMIT', daily: 'CLAUDE_DAILY_LIMIT' };

export function limitOf(window: WindowType, s: WindowSettings): number {
  return window === 'hourly' ? s.hourlyLimit : s.dailyLimit;
}

export function levelOf(requests: number, limit: number, s: WindowSettings): WindowLevel {
  if (requests >= limit) return 'limit';
  if (requests * 100 >= s.criticalPct * limit) return 'critical';
  if (requests * 100 >= s.warningPct * limit) return 'warning';
  return 'ok';
}

const pctOf = (requests: number, limit: number): number => Math.round((requests / limit) * 1000) / 10;

/** The open window of a kind at `now`, if any. */
async function openWindow(db: Kysely<DB>, window: WindowType, now: number) {
  return db
    .selectFrom('rate_limit_tracking')
    .selectAll()
    .where('window_type', '=', window)
    .where('window_start', '>', now - WINDOW_MS[window])
    .where('window_start', '<=', now)
    .orderBy('window_start', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function readWindows(db: Kysely<DB>, now: number, s: WindowSettings): Promise<WindowState[]> {
  const out: WindowState[] = [];
  for (const window of WINDOW_TYPES) {
    const row = await openWindow(db, window, now);
    const limit = limitOf(window, s);
    const requests = row?.request_count ?? 0;
    const level = levelOf(requests, limit, s);
    out.push({
      window,
      limit,
      requests,
      tokens: row?.token_count ?? 0,
      pct: pctOf(requests, limit),
      level,
      openedAt: row?.window_start ?? null,
      resetsAt: row ? row.window_start + WINDOW_MS[window] : null,
    });
  }
  return out;
}

/** Counts requests into the open windows, opening one where none is. Call inside the write
 * transaction that records the requests. */
export async function countIntoWindows(tx: Kysely<DB>, at: number, requests: number, tokens: number): Promise<void> {
  if (requests <= 0 && tokens <= 0) return;
  for (const window of WINDOW_TYPES) {
    const row = await openWindow(tx, window, at);
    if (row) {
      await tx
        .updateTable('rate_limit_tracking')
        .set((eb) => ({ request_count: eb('request_count', '+', requests), token_count: eb('token_count', '+', tokens) }))
        .where('id', '=', row.id)
        .execute();
    } else {
      await tx
        .insertInto('rate_limit_tracking')
        .values({ window_type: window, window_start: at, request_count: requests, token_count: tokens })
        .onConflict((oc) =>
          oc.columns(['window_type', 'window_start']).doUpdateSet((eb) => ({
            request_count: eb('rate_limit_tracking.request_count', '+', requests),
            token_count: eb('rate_limit_tracking.token_count', '+', tokens),
          })),
        )
        .execute();
    }
  }
}

export interface WindowVerdict {
  /** The worst level over both windows, counting requests held by analyses in flight. */
  level: WindowLevel;
  /** The window that decided the level (null when ok). */
  window: WindowType | null;
  /** When that window resets (epoch ms); null when ok, or when only requests in flight fill it. */
  until: number | null;
  /** One sentence for logs and progress lines; null when ok. */
  message: string | null;
}

const RANK: Record<WindowLevel, number> = { ok: 0, warning: 1, critical: 2, limit: 3 };
const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * What the windows say about starting one more analysis. `reserved` = requests that analyses in
 * flight may still make (MAX_TURNS each): they count as used, so concurrent analyses cannot jointly
 * run past a threshold.
 */
export function assessWindows(states: readonly WindowState[], s: WindowSettings, reserved = 0): WindowVerdict {
  let worst: WindowVerdict = { level: 'ok', window: null, until: null, message: null };
  for (const st of states) {
    const projected = st.requests + reserved;
    const level = levelOf(projected, st.limit, s);
    if (RANK[level] <= RANK[worst.level]) continue;
    const held = reserved > 0 ? ` (${st.requests} recorded + ${reserved} held by analyses in flight)` : '';
    const resets = st.resetsAt === null ? 'when the analyses in flight are recorded' : `at ${iso(st.resetsAt)}`;
    const head = `Claude requests: ${projected} of ${st.limit} (${LIMIT_SETTING[st.window]}) in the ${st.window} window${held}, ${pctOf(projected, st.limit)}%`;
    const message =
      level === 'limit'
        ? `${head}: the limit is reached; no analysis starts before the window resets ${resets}`
        : level === 'critical'
          ? `${head}, past the critical threshold ${s.criticalPct}%: analyses wait until the window resets ${resets}`
          : `${head}, past the warning threshold ${s.warningPct}% (analyses wait from ${s.criticalPct}%); the window resets ${resets}`;
    worst = { level, window: st.window, until: st.resetsAt, message };
  }
  return worst;
}

export async function assessNow(
  deps: { db: Kysely<DB>; clock: Clock; config: WindowConfig },
  reserved = 0,
): Promise<{ states: WindowState[]; verdict: WindowVerdict }> {
  const s = windowSettings(deps.config);
  const states = await readWindows(deps.db, deps.clock.now(), s);
  return { states, verdict: assessWindows(states, s, reserved) };
}

export interface WindowWait {
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  stop?: AbortSignal | undefined;
  /** Told once per wait, before it starts: until when (epoch ms) and why. */
  onWait?: ((info: { until: number; window: WindowType; message: string }) => void) | undefined;
}

/**
 * Waits while a request window is critical or at its limit, until it resets (said once per wait,
 * also as a log line). Resolves true when an analysis may start, false when stopped meanwhile.
 * With token tracking off there are no windows to wait for.
 */
export async function waitForRequestWindows(
  deps: { db: Kysely<DB>; clock: Clock; log: Logger; config: WindowConfig & Pick<Config, 'TOKEN_TRACKING_ENABLED'> },
  wait: WindowWait,
): Promise<boolean> {
  if (!deps.config.TOKEN_TRACKING_ENABLED) return true;
  const never = new AbortController().signal;
  for (;;) {
    if (wait.stop?.aborted) return false;
    const { verdict } = await assessNow(deps);
    if (RANK[verdict.level] < RANK.critical || verdict.until === null || verdict.window === null) return true;
    const message = verdict.message ?? '';
    deps.log.warn('request window: waiting for it to reset', { window: verdict.window, until: iso(verdict.until), level: verdict.level });
    wait.onWait?.({ until: verdict.until, window: verdict.window, message });
    await wait.sleep(Math.max(0, verdict.until - deps.clock.now()), wait.stop ?? never);
  }
}
