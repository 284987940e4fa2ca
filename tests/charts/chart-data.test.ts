/** The pure parts of the chart data and the HTML report page. */
import { describe, expect, it } from 'vitest';
import { htmlReport } from '../../src/charts/html-report.js';
import { drawdowns } from '../../src/charts/portfolio.js';
import { thinIndices } from '../../src/charts/replay.js';
import type { ScorecardChart } from '../../src/charts/types.js';

describe('thinning a long equity curve', () => {
  it('keeps at most the limit, the last point, and the depth of every drawdown', () => {
    const values = Array.from({ length: 5000 }, (_, i) => 10_000 + 100 * Math.sin(i / 50) + (i === 2345 ? -900 : 0));
    const kept = thinIndices(values, 400);
    expect(kept.length).toBeLessThanOrEqual(400);
    expect(kept.at(-1)).toBe(4999);
    expect(kept).toContain(2345);
    expect([...kept].sort((a, b) => a - b)).toEqual(kept);
    expect(thinIndices([1, 2, 3], 400)).toEqual([0, 1, 2]);
  });
});

describe('drawdown from the running peak', () => {
  it('is 0 at each new high and the fall in % below it', () => {
    expect(drawdowns([100, 110, 99, 120, 90])).toEqual([0, 0, -10, 0, -25]);
  });
});

describe('the HTML report page', () => {
  it('carries its data inline where no text in it can end the script or run code', async () => {
    const hostile = '</script><script>alert(1)</script><!--';
    const payload: ScorecardChart = {
      view: 'scorecard',
      since: null,
      to: '2026-11-20T12:00:00.000Z',
      analyst: hostile,
      horizonHours: 72,
      totals: { signals: 0, decided: 0, hitRate: null, avgR: null },
      buckets: [],
    };
    const page = await htmlReport(payload, `report ${hostile}`);
    expect(page.match(/<script>alert/g)).toBeNull();
    const json = /<script type="application\/json" id="cctrader-data">([^<]*)<\/script>/.exec(page)?.[1];
    expect(JSON.parse(json!)).toEqual(payload);
    expect(page).toContain('<title>report &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;!--</title>');
    // Still one self-contained page: no external reference, connections forbidden.
    expect(page).not.toMatch(/<script[^>]+src=|<link[^>]+href=/i);
    expect(page).toContain("default-src 'none'");
  });
});
