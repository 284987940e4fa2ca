/**
 * Signal calibration (get_signal_scorecard, `scorecard --html`): per confidence bucket, the hit
 * rate (targets before stops, of the decided signals) against the bucket's average confidence,
 * and the average result in R below it. If confidence means something, both rise to the right.
 */
import { HistogramSeries, LineSeries, LineStyle, type Time } from 'lightweight-charts';
import type { ScorecardChart } from '../../src/charts/types.js';
import { afterPaint, el, fmtPct, fmtR, key, themedChart, ts } from './lib/chart.js';
import { startView } from './lib/host.js';
import { publish } from './lib/summary.js';

const DAY = 86_400;

startView<ScorecardChart>('scorecard', (data, root, p) => {
  const labels = data.buckets.map((b) => b.key);
  // The chart's axis is a time axis: bucket i sits at "day" i + 1 and is labelled with its key.
  const at = (i: number) => ts((i + 1) * DAY);
  const label = (time: Time): string => labels[Math.round(Number(time) / DAY) - 1] ?? '';
  const t = data.totals;
  root.append(
    el(
      'header',
      {},
      el('h1', {}, 'Signal calibration'),
      el(
        'span',
        { class: 'muted' },
        `${data.since ? `since ${data.since.slice(0, 16).replace('T', ' ')}Z` : 'all signals'} · ${data.analyst === 'all' ? 'all analysts' : data.analyst} · horizon ${data.horizonHours} h`,
      ),
      el('span', { class: 'figure' }, `${t.decided} of ${t.signals} decided`),
      el('span', { class: 'figure' }, `hit rate ${fmtPct(t.hitRate, 1).replace('+', '')}`),
      el('span', { class: t.avgR !== null && t.avgR < 0 ? 'figure down' : 'figure up' }, `avg ${fmtR(t.avgR)}`),
    ),
  );
  const stage = el('div', { class: 'chart tall' });
  root.append(
    stage,
    el(
      'div',
      { class: 'legend' },
      key(p.entry, 'Hit rate %'),
      key(p.muted, 'Average confidence', true),
      key(p.up, 'Average R (above 0)'),
      key(p.down, 'Average R (below 0)'),
    ),
  );
  const chart = themedChart(stage, p, {
    timeScale: { borderColor: p.border, tickMarkFormatter: label, fixLeftEdge: true, fixRightEdge: true, barSpacing: 60 },
    localization: { timeFormatter: label },
    handleScroll: false,
    handleScale: false,
  });
  const hit = chart.addSeries(HistogramSeries, {
    color: p.entry,
    priceFormat: { type: 'percent', precision: 1, minMove: 0.1 },
    lastValueVisible: false,
    priceLineVisible: false,
  });
  const hitData = data.buckets.flatMap((b, i) => (b.hitRate === null ? [{ time: at(i) }] : [{ time: at(i), value: b.hitRate }]));
  hit.setData(hitData);
  const confidence = chart.addSeries(LineSeries, {
    color: p.muted,
    lineStyle: LineStyle.Dashed,
    lineWidth: 2,
    lastValueVisible: false,
    priceLineVisible: false,
    priceFormat: { type: 'percent', precision: 1, minMove: 0.1 },
  });
  confidence.setData(data.buckets.flatMap((b, i) => (b.avgConfidence === null ? [] : [{ time: at(i), value: b.avgConfidence }])));
  const r = chart.addSeries(
    HistogramSeries,
    { priceFormat: { type: 'price', precision: 2, minMove: 0.01 }, lastValueVisible: false, priceLineVisible: false },
    1,
  );
  r.setData(data.buckets.map((b, i) => (b.avgR === null ? { time: at(i) } : { time: at(i), value: b.avgR, color: b.avgR >= 0 ? p.up : p.down })));
  r.createPriceLine({ price: 0, color: p.muted, lineWidth: 1, lineStyle: LineStyle.Dotted, axisLabelVisible: false, title: '' });
  chart.panes()[1]?.setHeight(120);
  chart.timeScale().fitContent();

  const table = el('table', { class: 'table' });
  table.append(
    el(
      'thead',
      {},
      el('tr', {}, ...['Confidence', 'Signals', 'Decided', 'Target', 'Stop', 'Expired', 'Pending', 'Hit rate', 'Avg R'].map((h) => el('th', {}, h))),
    ),
  );
  const body = el('tbody');
  for (const b of data.buckets) {
    const cells = [b.key, b.signals, b.decided, b.targets, b.stops, b.expired, b.pending, b.hitRate === null ? '—' : `${b.hitRate.toFixed(1)}%`, fmtR(b.avgR)];
    body.append(el('tr', {}, ...cells.map((c) => el('td', {}, String(c)))));
  }
  table.append(body);
  root.append(
    el(
      'p',
      { class: 'note' },
      'Hit rate: targets ÷ decided signals (an expired signal is not a hit). Avg R: the mean result of decided signals in units of their risk.',
    ),
    table,
  );
  if (data.buckets.every((b) => b.decided === 0))
    root.append(el('p', { class: 'note' }, 'No signal is decided yet: the bars appear once targets or stops are reached.'));

  afterPaint(() =>
    publish(
      {
        view: 'scorecard',
        state: 'ready',
        theme: p.dark ? 'dark' : 'light',
        buckets: labels,
        bars: hitData.filter((d) => 'value' in d).length,
        hitRates: data.buckets.map((b) => b.hitRate),
        avgR: data.buckets.map((b) => b.avgR),
        rows: data.buckets.length,
      },
      { main: chart },
    ),
  );
  return () => chart.remove();
});
