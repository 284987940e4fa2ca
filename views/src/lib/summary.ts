/**
 * What a view shows, in numbers, for tests and for anyone reading the page: a frozen object at
 * `window.__cctraderView` (what is drawn: counts, the price lines and where they sit) and the
 * chart objects at `window.__cctraderCharts` (to sample the pixels drawn). The view never reads
 * either back.
 */

/** What the tests need of a chart: its picture. */
export interface Drawn {
  takeScreenshot(addTopLayer?: boolean): HTMLCanvasElement;
}

export type ViewSummary = Readonly<Record<string, unknown>> & { view: string; state: string; theme: 'light' | 'dark' };

declare global {
  interface Window {
    __cctraderView?: ViewSummary;
    __cctraderCharts?: Readonly<Record<string, Drawn>>;
  }
}

export function publish(summary: ViewSummary, charts: Record<string, Drawn> = {}): void {
  window.__cctraderView = Object.freeze(structuredClone(summary));
  window.__cctraderCharts = Object.freeze({ ...charts });
  document.body.dataset.state = summary.state;
}
