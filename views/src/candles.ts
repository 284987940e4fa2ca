/**
 * Candles (fetch_market_data, fetch_technical_snapshot): candlesticks with EMA 20/50 and
 * Bollinger(20, 2), volume underneath, the nearest support and resistance, and the entry, stop
 * and target of an open position or a recent signal on the symbol. One tab per timeframe.
 */
import {
  CandlestickSeries,
  HistogramSeries,
  LineSeries,
  LineStyle,
  type IChartApi,
  type IPriceLine,
  type ISeriesApi,
  type LineWidth,
} from 'lightweight-charts';
import type { CandlePanel, CandlesChart, TradeLevels } from '../../src/charts/types.js';
import { afterPaint, el, fmtPct, fmtPrice, fmtTime, key, priceFormat, tabs, themedChart, ts } from './lib/chart.js';
import { startView } from './lib/host.js';
import { publish } from './lib/summary.js';
import { alpha, type Palette } from './lib/theme.js';

interface Line {
  title: string;
  price: number;
  colour: string;
  style: LineStyle;
}

function levelLines(panel: CandlePanel, trade: TradeLevels | null, p: Palette): Line[] {
  const lines: Line[] = [];
  if (panel.support !== null) lines.push({ title: 'Support', price: panel.support, colour: p.support, style: LineStyle.Dotted });
  if (panel.resistance !== null) lines.push({ title: 'Resistance', price: panel.resistance, colour: p.resistance, style: LineStyle.Dotted });
  if (trade) {
    lines.push({ title: 'Entry', price: trade.entry, colour: p.entry, style: LineStyle.Solid });
    if (trade.stop !== null) lines.push({ title: 'Stop', price: trade.stop, colour: p.stop, style: LineStyle.Dashed });
    if (trade.target !== null) lines.push({ title: 'Target', price: trade.target, colour: p.target, style: LineStyle.Dashed });
  }
  return lines;
}

function line(
  chart: IChartApi,
  t: number[],
  values: Array<number | null>,
  colour: string,
  width: LineWidth,
  format: ReturnType<typeof priceFormat>,
  style = LineStyle.Solid,
): { series: ISeriesApi<'Line'>; points: number } {
  const series = chart.addSeries(LineSeries, {
    color: colour,
    lineWidth: width,
    lineStyle: style,
    priceLineVisible: false,
    lastValueVisible: false,
    crosshairMarkerVisible: false,
    priceFormat: format,
  });
  const data = t.flatMap((time, i) => (values[i] === null || values[i] === undefined ? [] : [{ time: ts(time), value: values[i]! }]));
  series.setData(data);
  return { series, points: data.length };
}

function drawPanel(host: HTMLElement, data: CandlesChart, panel: CandlePanel, p: Palette): { chart: IChartApi; measure: () => Record<string, unknown> } {
  const chart = themedChart(host, p);
  const last = panel.c.at(-1) ?? 0;
  const format = priceFormat(last);
  const candles = chart.addSeries(CandlestickSeries, {
    upColor: p.up,
    downColor: p.down,
    borderVisible: false,
    wickUpColor: p.up,
    wickDownColor: p.down,
    priceFormat: format,
  });
  candles.setData(
    panel.t.map((time, i) => {
      const forming = panel.forming && i === panel.t.length - 1;
      const rising = panel.c[i]! >= panel.o[i]!;
      // The forming candle is drawn faint: it is not a closed candle yet.
      const colour = forming ? alpha(rising ? p.up : p.down, 0.45) : undefined;
      return {
        time: ts(time),
        open: panel.o[i]!,
        high: panel.h[i]!,
        low: panel.l[i]!,
        close: panel.c[i]!,
        ...(colour ? { color: colour, wickColor: colour } : {}),
      };
    }),
  );
  const volume = chart.addSeries(HistogramSeries, {
    priceScaleId: 'volume',
    priceFormat: { type: 'volume' },
    lastValueVisible: false,
    priceLineVisible: false,
  });
  chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 }, visible: false });
  volume.setData(panel.t.map((time, i) => ({ time: ts(time), value: panel.v[i]!, color: alpha(panel.c[i]! >= panel.o[i]! ? p.up : p.down, 0.35) })));
  chart.priceScale('right').applyOptions({ scaleMargins: { top: 0.08, bottom: 0.24 } });

  const ema20 = line(chart, panel.t, panel.ema20, p.ema20, 2, format);
  const ema50 = line(chart, panel.t, panel.ema50, p.ema50, 2, format);
  const bbUpper = line(chart, panel.t, panel.bbUpper, p.band, 1, format);
  line(chart, panel.t, panel.bbMiddle, alpha(p.band, 0.6), 1, format, LineStyle.Dashed);
  const bbLower = line(chart, panel.t, panel.bbLower, p.band, 1, format);

  const lines = levelLines(panel, data.trade, p);
  const drawn: IPriceLine[] = lines.map((l) =>
    candles.createPriceLine({ price: l.price, color: l.colour, lineWidth: 2, lineStyle: l.style, axisLabelVisible: true, title: l.title }),
  );
  chart.timeScale().fitContent();
  const measure = () => ({
    timeframe: panel.timeframe,
    candles: panel.t.length,
    visibleCandles: visible(chart, panel.t.length),
    forming: panel.forming,
    ema20Points: ema20.points,
    ema50Points: ema50.points,
    bandPoints: Math.min(bbUpper.points, bbLower.points),
    volumeBars: panel.v.length,
    // Where each line sits: the pane's y coordinate (CSS pixels from its top) of its price.
    lines: lines.map((l, i) => ({ title: l.title, price: drawn[i]!.options().price, colour: l.colour, y: candles.priceToCoordinate(l.price) })),
  });
  return { chart, measure };
}

/** How many of the `n` bars are on screen, at least in part (bar i sits at logical index i). */
function visible(chart: IChartApi, n: number): number {
  const range = chart.timeScale().getVisibleLogicalRange();
  if (!range) return 0;
  return Math.max(0, Math.min(n - 1, Math.ceil(range.to)) - Math.max(0, Math.floor(range.from)) + 1);
}

function tradeText(trade: TradeLevels): string {
  const what =
    trade.source === 'position'
      ? `Open ${trade.direction} position #${trade.id} since ${fmtTime(trade.at)}`
      : `Signal #${trade.id} (${trade.direction}, ${trade.status}) at ${fmtTime(trade.at)}`;
  return `${what}: entry ${fmtPrice(trade.entry)}, stop ${fmtPrice(trade.stop)}, target ${fmtPrice(trade.target)}`;
}

startView<CandlesChart>('candles', (data, root, p) => {
  let chart: IChartApi | null = null;
  const preferred = data.panels.findIndex((x) => x.timeframe === '1h');
  const stage = el('div', { class: 'chart tall' });
  const header = el('header', {}, el('h1', {}, data.symbol), el('span', { class: 'muted' }, data.market));
  const change = el('span', { class: 'figure' });
  header.append(change);
  const legend = el(
    'div',
    { class: 'legend' },
    key(p.ema20, 'EMA 20'),
    key(p.ema50, 'EMA 50'),
    key(p.band, 'Bollinger 20, 2'),
    key(p.support, 'Support', true),
    key(p.resistance, 'Resistance', true),
  );
  if (data.trade) legend.append(key(p.entry, 'Entry'), key(p.stop, 'Stop', true), key(p.target, 'Target', true));
  const note = el('p', { class: 'note' }, data.trade ? tradeText(data.trade) : 'No open position or recent signal on this symbol.');

  const show = (i: number): void => {
    chart?.remove();
    const panel = data.panels[i];
    if (!panel) return;
    const first = panel.o[0] ?? 0;
    const lastClose = panel.c.at(-1) ?? 0;
    change.textContent = `${panel.timeframe} · ${fmtPrice(lastClose)} · ${fmtPct(first ? ((lastClose - first) / first) * 100 : null)} over ${panel.t.length} candles`;
    const drawn = drawPanel(stage, data, panel, p);
    const current = (chart = drawn.chart);
    afterPaint(() => {
      if (chart !== current) return;
      publish(
        {
          view: 'candles',
          state: 'ready',
          theme: p.dark ? 'dark' : 'light',
          symbol: data.symbol,
          panels: data.panels.map((x) => x.timeframe),
          trade: data.trade,
          ...drawn.measure(),
        },
        { main: current },
      );
    });
  };
  root.append(header);
  if (data.panels.length > 1)
    root.append(
      tabs(
        data.panels.map((x) => x.timeframe),
        Math.max(0, preferred),
        show,
      ),
    );
  root.append(stage, legend, note);
  show(Math.max(0, preferred));
  return () => {
    chart?.remove();
    chart = null;
  };
});
