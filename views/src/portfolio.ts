/**
 * Portfolio (get_portfolio_status, get_pnl_report, `pnl-report --html`): the equity curve above
 * its drawdown from the running peak, and each open position on a ruler from its stop to its
 * target, with the entry and the current mark on it.
 */
import { AreaSeries, BaselineSeries, LineStyle, type IChartApi } from 'lightweight-charts';
import type { ChartPosition, PortfolioChart } from '../../src/charts/types.js';
import { afterPaint, el, fmtPct, fmtPrice, fmtUsd, key, themedChart, ts } from './lib/chart.js';
import { startView } from './lib/host.js';
import { publish } from './lib/summary.js';
import { alpha, type Palette } from './lib/theme.js';

/** Where a price sits on a position's ruler, 0–100 % from its lowest to its highest level. */
function placer(pos: ChartPosition): (price: number) => number {
  const prices = [pos.entry, pos.mark, pos.stop, pos.target].filter((x): x is number => x !== null);
  const lo = Math.min(...prices);
  const hi = Math.max(...prices);
  return (price) => (hi > lo ? ((price - lo) / (hi - lo)) * 100 : 50);
}

function ruler(pos: ChartPosition, p: Palette): { node: HTMLElement; marks: Record<string, number | null> } {
  const at = placer(pos);
  const bar = el('div', { class: 'ruler', 'data-symbol': pos.symbol });
  const marks: Record<string, number | null> = { stop: null, entry: null, mark: null, target: null };
  const put = (kind: 'stop' | 'entry' | 'mark' | 'target', price: number | null, colour: string, label: string): void => {
    if (price === null) return;
    const left = at(price);
    marks[kind] = Math.round(left * 100) / 100;
    const tick = el('span', { class: `tick ${kind}`, 'data-kind': kind, 'data-price': String(price), title: `${label} ${fmtPrice(price)}` });
    tick.style.left = `${left}%`;
    tick.style.setProperty('--tick', colour);
    tick.append(el('span', { class: 'tick-label' }, `${label} ${fmtPrice(price)}`));
    bar.append(tick);
  };
  // The stretch from the entry to the mark: green when the position is in profit, red otherwise.
  const fill = el('span', { class: 'fill' });
  const a = at(pos.entry);
  const b = at(pos.mark);
  fill.style.left = `${Math.min(a, b)}%`;
  fill.style.width = `${Math.abs(b - a)}%`;
  fill.style.background = alpha(pos.unrealizedPnl >= 0 ? p.up : p.down, 0.35);
  bar.append(fill);
  put('stop', pos.stop, p.stop, 'Stop');
  put('target', pos.target, p.target, 'Target');
  put('entry', pos.entry, p.entry, 'Entry');
  put('mark', pos.mark, p.fg, pos.stale ? 'Mark (stale)' : 'Mark');
  const head = el(
    'div',
    { class: 'position-head' },
    el('strong', {}, pos.symbol),
    el('span', { class: `side ${pos.direction}` }, pos.direction),
    el('span', { class: pos.unrealizedPnl >= 0 ? 'figure up' : 'figure down' }, `${fmtUsd(pos.unrealizedPnl)} (${fmtPct(pos.unrealizedPct)})`),
  );
  return { node: el('div', { class: 'position' }, head, bar), marks };
}

startView<PortfolioChart>('portfolio', (data, root, p) => {
  const ret = data.returnPct;
  root.append(
    el(
      'header',
      {},
      el('h1', {}, `Portfolio ${data.portfolio}`),
      el('span', { class: 'muted' }, data.period),
      el('span', { class: 'figure' }, `Equity ${fmtUsd(data.equity)}`),
      el('span', { class: ret !== null && ret < 0 ? 'figure down' : 'figure up' }, fmtPct(ret)),
      el('span', { class: 'figure down' }, `Max drawdown ${fmtPct(data.maxDrawdownPct)}`),
    ),
  );
  const stage = el('div', { class: 'chart tall' });
  root.append(
    stage,
    el('div', { class: 'legend' }, key(p.up, 'Equity above the start'), key(p.down, 'Equity below the start'), key(p.stop, 'Drawdown from the peak')),
  );
  const chart: IChartApi = themedChart(stage, p);
  const t = data.curve.t.map(ts);
  const equity = chart.addSeries(BaselineSeries, {
    baseValue: { type: 'price', price: data.startBalance },
    topLineColor: p.up,
    topFillColor1: alpha(p.up, 0.25),
    topFillColor2: alpha(p.up, 0.02),
    bottomLineColor: p.down,
    bottomFillColor1: alpha(p.down, 0.02),
    bottomFillColor2: alpha(p.down, 0.25),
    lineWidth: 2,
    priceFormat: { type: 'price', precision: 2, minMove: 0.01 },
  });
  equity.setData(t.map((time, i) => ({ time, value: data.curve.equity[i]! })));
  equity.createPriceLine({ price: data.startBalance, color: p.muted, lineStyle: LineStyle.Dotted, lineWidth: 1, axisLabelVisible: true, title: 'Start' });
  const drawdown = chart.addSeries(
    AreaSeries,
    {
      lineColor: p.stop,
      topColor: alpha(p.stop, 0.05),
      bottomColor: alpha(p.stop, 0.35),
      lineWidth: 1,
      invertFilledArea: true,
      priceFormat: { type: 'custom', minMove: 0.01, formatter: (v: number) => `${v.toFixed(2)}%` },
    },
    1,
  );
  drawdown.setData(t.map((time, i) => ({ time, value: data.curve.drawdownPct[i]! })));
  chart.panes()[1]?.setHeight(90);
  chart.timeScale().fitContent();

  const list = el('section', { class: 'positions' }, el('h2', {}, data.positions.length ? `Open positions (${data.positions.length})` : 'No open positions'));
  const rulers = data.positions.map((pos) => ruler(pos, p));
  for (const r of rulers) list.append(r.node);
  root.append(list);

  afterPaint(() =>
    publish(
      {
        view: 'portfolio',
        state: 'ready',
        theme: p.dark ? 'dark' : 'light',
        portfolio: data.portfolio,
        points: data.curve.t.length,
        drawdownPoints: data.curve.drawdownPct.length,
        lastEquity: data.curve.equity.at(-1) ?? null,
        minDrawdownPct: data.maxDrawdownPct,
        positions: data.positions.map((pos, i) => ({
          symbol: pos.symbol,
          stop: pos.stop,
          entry: pos.entry,
          mark: pos.mark,
          target: pos.target,
          at: rulers[i]!.marks,
        })),
      },
      { main: chart },
    ),
  );
  return () => chart.remove();
});
