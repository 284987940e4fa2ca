/**
 * The chart views in a real browser: Debian's Chromium driven by playwright-core, a minimal MCP
 * Apps host page (views/test-host/host.ts) served from loopback, each view in a sandboxed iframe
 * under the spec's default CSP, every request the page makes recorded (anything but the host page
 * and the view's own HTML is refused and reported), and helpers that read what is on screen.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { BrowserContext, Frame, Page } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'views');

/** Chromium: CHROMIUM_PATH when set, else Debian's package. Null when there is none (the tests skip, by name). */
export function findChromium(): string | null {
  const given = process.env['CHROMIUM_PATH'];
  const candidates = given ? [given] : ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((path) => existsSync(path)) ?? null;
}

/** The CSP a host applies to a view that declares no domains (MCP Apps spec, "Restrictive Default"). */
const HOST_CSP =
  "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; media-src 'self' data:; connect-src 'none'";

export interface ViewHost {
  url: string;
  /** A page served at `path` (an HTML report). */
  serve(path: string, html: string): void;
  close(): Promise<void>;
}

export async function startViewHost(): Promise<ViewHost> {
  const bundle = await build({
    entryPoints: [join(ROOT, 'views/test-host/host.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    logLevel: 'warning',
  });
  const hostPage = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>test host</title>
<style>body{margin:0;background:#fff}body[data-theme=dark]{background:#111}</style></head>
<body><script>${bundle.outputFiles[0]!.text.replace(/<\/(script)/gi, '<\\/$1')}</script></body></html>`;
  const pages = new Map<string, string>([['/host.html', hostPage]]);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const view = /^\/view\/([a-z]+)\.html$/.exec(path);
    if (view) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': HOST_CSP });
      return res.end(readFileSync(join(ROOT, 'dist/views', `${view[1]}.html`)));
    }
    const page = pages.get(path);
    if (page) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(page);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    serve: (path, html) => void pages.set(path, html),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface Browser {
  context: BrowserContext;
  /** Every request any page made, by URL. */
  requests: string[];
  /** Console errors and uncaught exceptions, from every frame (CSP violations land here). */
  errors: string[];
  close(): Promise<void>;
}

export async function openBrowser(executablePath: string, allowed: (url: string) => boolean): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const userDataDir = mkdtempSync(join(tmpdir(), 'cctrader-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    viewport: { width: 1000, height: 900 },
    deviceScaleFactor: 1,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const requests: string[] = [];
  const errors: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    requests.push(url);
    return allowed(url) ? route.continue() : route.abort('blockedbyclient');
  });
  context.on('websocket' as never, (ws: { url(): string }) => void requests.push(ws.url()));
  const watch = (page: Page): void => {
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => void errors.push(`pageerror: ${e.message}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return {
    context,
    requests,
    errors,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export type Summary = Record<string, any> & { view: string; state: string; theme: 'light' | 'dark' };

// What the helpers below touch inside the view's frame (they run there, in the browser; this
// project's tests compile without the DOM library).
interface Canvas2d {
  getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
}
interface ViewWindow {
  __cctraderView?: Summary;
  __cctraderCharts?: Record<string, { takeScreenshot(): { width: number; height: number; getContext(kind: '2d'): Canvas2d | null } }>;
}
declare const window: ViewWindow;

/** The view's frame once it has drawn (or said why it could not). */
export async function viewFrame(page: Page): Promise<Frame> {
  const handle = await page.waitForSelector('iframe#view');
  const frame = (await handle.contentFrame())!;
  await frame.waitForFunction(() => window.__cctraderView && window.__cctraderView.state !== 'loading', undefined, { timeout: 15_000 });
  return frame;
}

export async function summaryOf(frame: Frame): Promise<Summary> {
  return frame.evaluate(() => window.__cctraderView as unknown as Summary);
}

export interface Pixels {
  width: number;
  height: number;
  /** The most common colour: the chart's background. */
  background: [number, number, number];
  /** Share of pixels (0–1) that differ visibly from the background. */
  inked: number;
  /** Distinct colours (quantised) in the picture. */
  colours: number;
}

/** What chart `name` of the view has drawn, read from its own screenshot (all panes and scales). */
export async function pixelsOf(frame: Frame, name: string): Promise<Pixels> {
  return frame.evaluate((chart) => {
    const canvas = window.__cctraderCharts![chart]!.takeScreenshot();
    const { width, height } = canvas;
    const data = canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
    const counts = new Map<number, number>();
    for (let i = 0; i < data.length; i += 4) {
      const key = ((data[i]! >> 3) << 10) | ((data[i + 1]! >> 3) << 5) | (data[i + 2]! >> 3);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    const bg: [number, number, number] = [((top >> 10) & 31) << 3, ((top >> 5) & 31) << 3, (top & 31) << 3];
    let inked = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i]! - bg[0]) + Math.abs(data[i + 1]! - bg[1]) + Math.abs(data[i + 2]! - bg[2]) > 60) inked++;
    }
    return { width, height, background: bg, inked: inked / (width * height), colours: counts.size };
  }, name);
}

/**
 * Share (0–1) of the pixels across the plot in rows y−2…y+2 of chart `name` that are close to
 * `colour` (`rgb(r, g, b)`): a horizontal line in that colour at y covers a good part of it.
 */
export async function lineCoverage(frame: Frame, name: string, y: number, colour: string, plotWidth: number): Promise<number> {
  return frame.evaluate(
    ([chart, row, rgb, width]) => {
      const [r, g, b] = (rgb.match(/\d+/g) ?? []).map(Number) as [number, number, number];
      const canvas = window.__cctraderCharts![chart]!.takeScreenshot();
      const ctx = canvas.getContext('2d')!;
      const top = Math.max(0, Math.round(row) - 2);
      const data = ctx.getImageData(0, top, width, 5).data;
      const hit = new Set<number>();
      for (let i = 0; i < data.length; i += 4) {
        if (Math.abs(data[i]! - r) + Math.abs(data[i + 1]! - g) + Math.abs(data[i + 2]! - b) < 70) hit.add((i / 4) % width);
      }
      return hit.size / width;
    },
    [name, y, colour, plotWidth] as const,
  );
}

export function screenshotPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, `${name}.png`);
}
