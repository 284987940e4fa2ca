/**
 * The request budget's maths, fairness and back-off, on a fake clock (no timings): what a caller
 * of the exchange would notice is when its request is let out, and whether it is let out at all.
 */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { RequestBudget, type Release } from '../../src/market/request-budget.js';
import { FakeTimer, settle } from '../helpers/fake-timer.js';

const WINDOW = 5_000;

/** A caller that records when its request was let out (fake-clock ms) and answers after `latencyMs`. */
function harness(capacity: number) {
  const timer = new FakeTimer(1_000_000);
  const budget = new RequestBudget({ capacity, windowMs: WINDOW, timer });
  const sent: Array<{ who: string; at: number; weight: number }> = [];
  const request = (who: string, weight = 1, latencyMs = 0): Promise<void> =>
    budget.acquire(weight).then((release: Release) => {
      sent.push({ who, at: timer.now(), weight });
      if (latencyMs === 0) release();
      else timer.setTimeout(release, latencyMs);
    });
  return { timer, budget, sent, request, t0: timer.now() };
}

/** The most weight let out in any window of WINDOW ms. */
function busiest(sent: Array<{ at: number; weight: number }>): number {
  let best = 0;
  for (const a of sent) {
    const sum = sent.filter((b) => b.at >= a.at && b.at < a.at + WINDOW).reduce((s, b) => s + b.weight, 0);
    best = Math.max(best, sum);
  }
  return best;
}

describe('request budget: bucket maths', () => {
  it('lets a burst of its capacity out at once, then one capacity per window', async () => {
    const h = harness(10);
    const all = Array.from({ length: 35 }, (_, i) => h.request(`r${i}`));
    await settle();
    expect(h.sent).toHaveLength(10);
    expect(h.sent.every((s) => s.at === h.t0)).toBe(true);
    expect(h.budget.status()).toMatchObject({ available: 0, waiting: 25, refillPerSec: 2 });

    await h.timer.advance(WINDOW - 1);
    expect(h.sent).toHaveLength(10); // nothing comes back before the window has passed
    await h.timer.advance(1);
    expect(h.sent).toHaveLength(20);
    await h.timer.advance(WINDOW);
    expect(h.sent).toHaveLength(30);
    await h.timer.advance(WINDOW);
    await Promise.all(all);
    expect(h.sent).toHaveLength(35);
    // Sustained: 35 requests took three refills after the burst; no window held more than 10.
    expect(h.sent.at(-1)!.at - h.t0).toBe(3 * WINDOW);
    expect(busiest(h.sent)).toBe(10);
    expect(h.budget.status().usedLastMinute).toBe(35);
  });

  it('gives tokens back a window after the answer, so latency never lets more than the capacity through in a window', async () => {
    const h = harness(4);
    // Each request takes 300 ms to be answered: its tokens are away for 300 ms + the window.
    const all = Array.from({ length: 12 }, (_, i) => h.request(`r${i}`, 1, 300));
    await h.timer.advance(4 * WINDOW);
    await Promise.all(all);
    expect(h.sent.map((s) => s.at - h.t0)).toEqual([0, 0, 0, 0, 5300, 5300, 5300, 5300, 10600, 10600, 10600, 10600]);
    expect(busiest(h.sent)).toBe(4);
  });

  it('holds the tokens of a request in flight until it is answered', async () => {
    const h = harness(2);
    let releaseSlow: Release | undefined;
    void h.budget.acquire(1).then((r) => (releaseSlow = r));
    void h.request('fast');
    const late = h.request('late');
    await h.timer.advance(WINDOW);
    await late;
    expect(h.sent.map((s) => s.who)).toEqual(['fast', 'late']); // late got fast's token back, not slow's
    expect(h.budget.status()).toMatchObject({ inFlight: 1, available: 0 });
    await h.timer.advance(3 * WINDOW);
    expect(h.budget.status()).toMatchObject({ inFlight: 1, available: 1 }); // slow still holds its token
    releaseSlow!();
    expect(h.budget.status().available).toBe(1);
    await h.timer.advance(WINDOW);
    expect(h.budget.status().available).toBe(2);
  });

  it('weighs requests: a request of weight 2.5 takes 2.5 tokens; one above the capacity takes the capacity', async () => {
    const h = harness(10);
    for (let i = 0; i < 5; i++) void h.request(`w${i}`, 2.5);
    await settle();
    expect(h.sent).toHaveLength(4);
    expect(h.budget.status()).toMatchObject({ available: 0, waiting: 1 });
    await h.timer.advance(WINDOW);
    expect(h.sent).toHaveLength(5);
    expect(h.budget.status().available).toBe(7.5);

    const big = harness(10);
    void big.request('huge', 50);
    await settle();
    expect(big.sent.map((s) => s.who)).toEqual(['huge']);
    expect(big.budget.status().usedLastMinute).toBe(10);
  });
});

describe('request budget: fairness', () => {
  it("serves first come, first served: a tool call queued behind a scan's requests goes out right after them, and later scan requests after it", async () => {
    const h = harness(10);
    const scan = Array.from({ length: 25 }, (_, i) => h.request(`scan${i}`));
    await settle();
    const tool = h.request('tool');
    const moreScan = Array.from({ length: 5 }, (_, i) => h.request(`scan-late${i}`));
    await h.timer.advance(4 * WINDOW);
    await Promise.all([...scan, tool, ...moreScan]);
    const order = h.sent.map((s) => s.who);
    expect(order.indexOf('tool')).toBe(25); // after exactly the 25 that asked before it
    expect(order.slice(26)).toEqual(['scan-late0', 'scan-late1', 'scan-late2', 'scan-late3', 'scan-late4']);
    // Bounded wait, known in advance: 10 at once, then 10 per window; the 26th goes in the third batch.
    expect(h.sent[25]!.at - h.t0).toBe(2 * WINDOW);
  });

  it('lets no small request cut in front of a larger one waiting at the head of the queue', async () => {
    const h = harness(10);
    for (let i = 0; i < 7; i++) void h.request(`a${i}`); // 3 tokens left
    await settle();
    void h.request('big', 5); // does not fit: waits
    void h.request('small', 1); // would fit, but asked later
    await settle();
    expect(h.sent.map((s) => s.who)).not.toContain('small');
    await h.timer.advance(WINDOW);
    expect(h.sent.map((s) => s.who).slice(7)).toEqual(['big', 'small']);
  });
});

describe('request budget: closing', () => {
  it('fails the requests still waiting when the client closes, and keeps serving later ones', async () => {
    const h = harness(1);
    void h.request('first');
    const waiting = h.request('second').then(
      () => 'sent',
      (e: AppError) => e.code,
    );
    await settle();
    expect(h.timer.pending()).toBe(1); // the wake-up for the second request
    h.budget.rejectWaiting(new AppError('UPSTREAM_UNAVAILABLE', 'closed'));
    expect(await waiting).toBe('UPSTREAM_UNAVAILABLE');
    expect(h.timer.pending()).toBe(0); // no wake-up left behind to keep a closing process alive
    await h.timer.advance(WINDOW);
    await h.request('later');
    expect(h.sent.map((s) => s.who)).toEqual(['first', 'later']);
  });
});

describe('request budget: back-off', () => {
  it('stops everything until the back-off ends: waiters and new requests fail with RATE_LIMITED and the time to retry', async () => {
    const h = harness(2);
    const results = Array.from({ length: 5 }, (_, i) =>
      h.request(`r${i}`).then(
        () => 'sent',
        (e: unknown) => e,
      ),
    );
    await settle();
    const until = h.timer.now() + 600_000;
    h.budget.backOff('403', until);
    const settled = await Promise.all(results);
    expect(settled.slice(0, 2)).toEqual(['sent', 'sent']);
    for (const e of settled.slice(2)) {
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).code).toBe('RATE_LIMITED');
      expect((e as AppError).details).toMatchObject({ retryAt: new Date(until).toISOString(), reason: '403', retryAfterMs: 600_000 });
    }
    expect(h.budget.status()).toMatchObject({ waiting: 0, backoff: { until, reason: '403' } });

    await h.timer.advance(599_999);
    const during = await h.budget.acquire(1).then(
      () => 'sent',
      (e: AppError) => e.code,
    );
    expect(during).toBe('RATE_LIMITED');
    expect((h.budget.refusal()?.details as { retryAfterMs: number }).retryAfterMs).toBe(1);
    expect(h.sent).toHaveLength(2);

    await h.timer.advance(1);
    expect(h.budget.status().backoff).toBeNull();
    await h.request('after');
    expect(h.sent.map((s) => s.who)).toContain('after');
  });

  it('keeps the longer of two back-offs (a 429 does not shorten a 403 block)', async () => {
    const h = harness(5);
    const now = h.timer.now();
    h.budget.backOff('403', now + 600_000);
    h.budget.backOff('429', now + 5_000);
    expect(h.budget.status().backoff).toEqual({ until: now + 600_000, reason: '403' });
    await h.timer.advance(5_000);
    expect(h.budget.refusal()?.code).toBe('RATE_LIMITED');
  });
});
