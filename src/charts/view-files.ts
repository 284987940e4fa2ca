/**
 * The built views: one self-contained HTML file per view in dist/views/ (scripts/build-views.mjs,
 * run by `npm run build`, which `npm ci` runs through `prepare`). Read on first use and kept:
 * nothing here runs at import, so the server starts as fast without them.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { AppError } from '../errors.js';
import type { ViewName } from './types.js';

/** From src/charts/ (tsx) and from dist/charts/ (compiled) alike: the repository's dist/views/. */
export const VIEWS_DIR = fileURLToPath(new URL('../../dist/views/', import.meta.url));

const cache = new Map<ViewName, Promise<string>>();

export function viewHtml(view: ViewName): Promise<string> {
  let html = cache.get(view);
  if (!html) {
    html = readFile(`${VIEWS_DIR}${view}.html`, 'utf8').catch((cause: unknown) => {
      cache.delete(view);
      throw new AppError('NOT_FOUND', `The ${view} view is not built`, { hint: 'run `npm run build` in the cctrader checkout', cause });
    });
    cache.set(view, html);
  }
  return html;
}
