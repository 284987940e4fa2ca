/** Shared pieces of the views: a themed chart, number formats, small DOM helpers. */
import { ColorType, CrosshairMode, createChart, type DeepPartial, type IChartApi, type TimeChartOptions, type UTCTimestamp } from 'lightweight-charts';
import type { Palette } from './theme.js';

export function themedChart(container: HTMLElement, p: Palette, options: DeepPartial<TimeChartOptions> = {}): IChartApi {
  return createChart(container, {
    autoSize: true,
    layout: {
      background: { type: ColorType.Solid, color: p.bg },
      textColor: p.muted,
      fontFamily: p.font,
      fontSize: 11,
      attributionLogo: true,
      panes: { separatorColor: p.border },
    },
    grid: { vertLines: { color: p.grid }, horzLines: { color: p.grid } },
    rightPriceScale: { borderColor: p.border },
    timeScale: { borderColor: p.border, timeVisible: true, secondsVisible: false },
    crosshair: { mode: CrosshairMode.Normal },
    ...options,
  });
}

export const ts = (s: number): UTCTimestamp => s as UTCTimestamp;

/** Decimals that show about six significant digits of `price` (2 at least, 10 at most). */
export function decimalsFor(price: number): number {
  if (!(price > 0)) return 2;
  return Math.max(2, Math.min(10, 5 - Math.floor(Math.log10(price))));
}

export function priceFormat(sample: number): { type: 'price'; precision: number; minMove: number } {
  const precision = decimalsFor(sample);
  return { type: 'price', precision, minMove: 10 ** -precision };
}

export function fmtPrice(x: number | null): string {
  return x === null ? '—' : x.toLocaleString('en-US', { maximumFractionDigits: decimalsFor(Math.abs(x)), minimumFractionDigits: 2 });
}

export function fmtUsd(x: number | null): string {
  if (x === null) return '—';
  const sign = x < 0 ? '-' : '';
  return `${sign}$${Math.abs(x).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export function fmtPct(x: number | null, digits = 2): string {
  return x === null ? '—' : `${x > 0 ? '+' : ''}${x.toFixed(digits)}%`;
}

export function fmtR(x: number | null): string {
  return x === null ? '—' : `${x > 0 ? '+' : ''}${x.toFixed(2)}R`;
}

export function fmtTime(sec: number): string {
  return `${new Date(sec * 1000).toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

/** `el('div', { class: 'x' }, 'text', child)` */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

/** A legend entry: a colour swatch and its label. */
export function key(colour: string, label: string, dashed = false): HTMLElement {
  const swatch = el('span', { class: dashed ? 'swatch dashed' : 'swatch' });
  swatch.style.setProperty('--swatch', colour);
  return el('span', { class: 'key' }, swatch, label);
}

/** Tabs: calls `select(i)` on a click and marks the chosen one. */
export function tabs(labels: string[], selected: number, select: (i: number) => void): HTMLElement {
  const bar = el('div', { class: 'tabs', role: 'tablist' });
  labels.forEach((label, i) => {
    const b = el('button', { type: 'button', role: 'tab', 'aria-selected': String(i === selected), 'data-index': String(i) }, label);
    b.addEventListener('click', () => {
      for (const other of bar.querySelectorAll('button')) other.setAttribute('aria-selected', String(other === b));
      select(i);
    });
    bar.append(b);
  });
  return bar;
}

/** Runs `fn` once the chart has laid out and painted (its coordinates are then final). */
export function afterPaint(fn: () => void): void {
  requestAnimationFrame(() => requestAnimationFrame(fn));
}
