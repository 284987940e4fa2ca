/**
 * HTML reports (`pnl-report --html`, `scorecard --html`, `replay show ID --html`): the view's own
 * page with its payload inline, so that it opens from a file in any browser with no server and no
 * network (the page's CSP forbids connections).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { AppError } from '../errors.js';
import type { ChartPayload } from './types.js';
import { viewHtml } from './view-files.js';

const DATA_MARKER = '<!--cctrader:data-->';

const escapeHtml = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** The page: JSON in a non-executed script element, `<` escaped so no text can close it. */
export async function htmlReport(payload: ChartPayload, title: string): Promise<string> {
  const page = await viewHtml(payload.view);
  if (!page.includes(DATA_MARKER))
    throw new AppError('INTERNAL', `The ${payload.view} view has no place for report data`, { hint: 'rebuild with `npm run build`' });
  const json = JSON.stringify(payload)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return page
    .replace(DATA_MARKER, () => `<script type="application/json" id="cctrader-data">${json}</script>`)
    .replace(/<title>[^<]*<\/title>/, () => `<title>${escapeHtml(title)}</title>`);
}

/** Writes the page to `file` (its folder created if need be) and returns the absolute path. */
export async function writeHtmlReport(file: string, payload: ChartPayload, title: string): Promise<string> {
  const path = resolve(file);
  const html = await htmlReport(payload, title);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, html);
  } catch (cause) {
    throw new AppError('INVALID_INPUT', `Cannot write the HTML report to ${path}`, { hint: 'choose a file in a folder you can write to', cause });
  }
  return path;
}
