/**
 * Replay (get_replay_report, `replay show ID --html`): the replay's equity against buy-and-hold
 * of BTC and of the basket, then the most traded symbols' candles with each trade's entry and
 * exit marked (one tab per symbol).
 */
import { CandlestickSeries, createSeriesMarkers, LineSeries, LineStyle, type IChartApi, type SeriesMarker, type Time } from 'lightweight-charts';
import type { ReplayChart, ReplayMarket } from '../../src/charts/types.js';
import { afterPaint, el, fmtPct, fmtPrice, fmtUsd, key, priceFormat, tabs, themedChart, ts } from './lib/chart.js';
import { startView } from './lib/host.js';
import { publish } from './lib/summary.js';
import type { Palette } from './lib/theme.js';

function markersOf(market: ReplayMarket, p: Palette): SeriesMarker<Time>[] {
  const out: SeriesMarker<Time>[] = [];
  for (const trade of market.trades) {
    const long = trade.direction === 'long';
    out.push({
      time: ts(trade.openedAt),
      position: long ? 'belowBar' : 'aboveBar',
      shape: long ? 'arrowUp' : 'arrowDown',
      color: p.entry,
      text: `${trade.direction} ${fmtPrice(trade.entry)}`,
    });
    if (trade.closedAt !== null && trade.exit !== null) {
      const won = (trade.pnl ?? 0) >= 0;
      out.push({
        time: ts(trade.closedAt),
        position: long ? 'aboveBar' : 'belowBar',
        shape: 'circle',
        color: won ? p.up : p.down,
        text: `${trade.reason ?? 'exit'} ${fmtUsd(trade.pnl)}`,
      });
    }
  }
  // Markers must be in time order; a marker between two candles sits on the candle it falls in.
  const candleAt = (s: number): number => {
    let lo = 0;
    for (let hi = market.t.length - 1; lo < hi;) {
      const mid = (lo + hi + 1) >> 1;
      if (market.t[mid]! <= s) lo = mid;
      else hi = mid - 1;
    }
    return market.t[lo] ?? s;
  };
  return out.map((m) => ({ ...m, time: ts(candleAt(Number(m.time))) })).sort((a, b) => Number(a.time) - Number(b.time));
}

startView<ReplayChart>('replay', (data, root, p) => {
  const perf = data.performance;
  root.append(
    el(
      'header',
      {},
      el('h1', {}, `Replay ${data.id}`),
      el(
        'span',
        { class: 'muted' },
        `${data.analyst} · ${data.window.from.slice(0, 16).replace('T', ' ')} → ${data.window.to.slice(0, 16).replace('T', ' ')} every ${data.window.every}`,
      ),
      el('span', { class: perf.totalReturnPct < 0 ? 'figure down' : 'figure up' }, fmtPct(perf.totalReturnPct)),
      el('span', { class: 'figure down' }, `max drawdown ${fmtPct(-perf.maxDrawdownPct)}`),
      el('span', { class: 'figure' }, `${perf.trades} trades${perf.winRate === null ? '' : `, ${perf.winRate.toFixed(1)}% won`}`),
    ),
  );
  const equityStage = el('div', { class: 'chart' });
  const colours = [p.bench1, p.bench2];
  const legend = el('div', { class: 'legend' }, key(p.entry, `Replay equity (${fmtPct(perf.totalReturnPct)})`));
  data.benchmarks.forEach((b, i) => legend.append(key(colours[i % 2]!, `${b.name} (${fmtPct(b.finalPct)})`, true)));
  root.append(el('h2', {}, 'Equity against buy-and-hold'), equityStage, legend);

  const equityChart: IChartApi = themedChart(equityStage, p);
  const times = data.equity.t.map(ts);
  const equity = equityChart.addSeries(LineSeries, { color: p.entry, lineWidth: 2, priceFormat: { type: 'price', precision: 2, minMove: 0.01 } });
  equity.setData(times.map((time, i) => ({ time, value: data.equity.v[i]! })));
  const benchPoints = data.benchmarks.map((b, i) => {
    const s = equityChart.addSeries(LineSeries, {
      color: colours[i % 2],
      lineWidth: 2,
      lineStyle: LineStyle.Dashed,
      lastValueVisible: false,
      priceLineVisible: false,
      priceFormat: { type: 'price', precision: 2, minMove: 0.01 },
    });
    const points = times.flatMap((time, j) => (b.v[j] === null || b.v[j] === undefined ? [] : [{ time, value: b.v[j]! }]));
    s.setData(points);
    return { name: b.name, points: points.length };
  });
  equity.createPriceLine({ price: data.startBalance, color: p.muted, lineStyle: LineStyle.Dotted, lineWidth: 1, axisLabelVisible: true, title: 'Start' });
  equityChart.timeScale().fitContent();

  let priceChart: IChartApi | null = null;
  const priceStage = el('div', { class: 'chart tall' });
  const caption = el('p', { class: 'note' });
  const publishAll = (market: ReplayMarket | null, markers: number): void =>
    afterPaint(() =>
      publish(
        {
          view: 'replay',
          state: 'ready',
          theme: p.dark ? 'dark' : 'light',
          id: data.id,
          points: data.equity.t.length,
          benchmarks: benchPoints,
          markets: data.markets.map((m) => m.symbol),
          market: market?.symbol ?? null,
          candles: market?.t.length ?? 0,
          markers,
          trades: market?.trades.length ?? 0,
        },
        priceChart ? { equity: equityChart, price: priceChart } : { equity: equityChart },
      ),
    );
  const show = (i: number): void => {
    priceChart?.remove();
    priceChart = null;
    const market = data.markets[i];
    if (!market) return publishAll(null, 0);
    caption.textContent = `${market.symbol}, ${market.timeframe} candles: ${market.trades.length} trade(s). Arrows mark entries, circles exits (green won, red lost).`;
    priceChart = themedChart(priceStage, p);
    const candles = priceChart.addSeries(CandlestickSeries, {
      upColor: p.up,
      downColor: p.down,
      borderVisible: false,
      wickUpColor: p.up,
      wickDownColor: p.down,
      priceFormat: priceFormat(market.c.at(-1) ?? 1),
    });
    candles.setData(market.t.map((time, j) => ({ time: ts(time), open: market.o[j]!, high: market.h[j]!, low: market.l[j]!, close: market.c[j]! })));
    const markers = markersOf(market, p);
    createSeriesMarkers(candles, markers);
    priceChart.timeScale().fitContent();
    publishAll(market, markers.length);
  };
  if (data.markets.length) {
    root.append(
      el(
        'h2',
        {},
        `Trades on the price (${data.markets.length === 1 ? 'the traded symbol' : `the ${data.markets.length} most traded symbols`}, ${data.tradesTotal} trades in all)`,
      ),
    );
    if (data.markets.length > 1)
      root.append(
        tabs(
          data.markets.map((m) => m.symbol),
          0,
          show,
        ),
      );
    root.append(priceStage, caption);
  } else root.append(el('p', { class: 'note' }, 'The replay made no trade.'));
  show(0);
  return () => {
    priceChart?.remove();
    priceChart = null;
    equityChart.remove();
  };
});
