#!/usr/bin/env node
// Builds the chart views (views/src/<view>.ts) into one self-contained HTML file each,
// dist/views/<view>.html: the bundled script (lightweight-charts, the ext-apps App class) and the
// stylesheet inlined, no external reference. Run by `npm run build` (and so by `npm ci`).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const VIEWS = { candles: 'Candles', portfolio: 'Portfolio', scorecard: 'Signal calibration', replay: 'Replay' };
const out = `${root}dist/views/`;

const [template, style] = await Promise.all([readFile(`${root}views/template.html`, 'utf8'), readFile(`${root}views/style.css`, 'utf8')]);
await mkdir(out, { recursive: true });

// zod (which ext-apps validates its messages with) re-exports every locale through its `z`
// namespace, which a bundler cannot shake out: 260 KB of translated error messages per view.
// Its default English messages come from their own module, so the namespace can be empty.
const noZodLocales = {
  name: 'no-zod-locales',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](?:classic|core)[\\/]/.test(args.importer) ? { path: 'zod-locales', namespace: 'empty' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

const sizes = [];
await Promise.all(
  Object.entries(VIEWS).map(async ([view, title]) => {
    const result = await build({
      entryPoints: [`${root}views/src/${view}.ts`],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: ['es2022'],
      minify: true,
      legalComments: 'eof',
      conditions: ['production'],
      define: { 'process.env.NODE_ENV': '"production"' },
      logLevel: 'warning',
      plugins: [noZodLocales],
    });
    let script = result.outputFiles[0].text;
    // Inline in <script>: "</script" would end it early; "<!--" would change how it is parsed.
    script = script.replace(/<\/(script)/gi, '<\\/$1');
    if (script.includes('<!--')) throw new Error(`${view}: the bundle contains "<!--", which cannot be inlined safely`);
    if (/\bhttps?:\/\/(?!www\.tradingview\.com\b)[^\s"'`]+\.(?:js|css|woff2?|png|svg)\b/.test(script)) {
      throw new Error(`${view}: the bundle references a remote asset`);
    }
    const html = template
      .replace('%TITLE%', () => title)
      .replace('%STYLE%', () => style)
      .replace('%SCRIPT%', () => script);
    await writeFile(`${out}${view}.html`, html);
    sizes.push(`${view} ${(html.length / 1024).toFixed(0)} KB`);
  }),
);
console.log(`views built into dist/views/: ${sizes.sort().join(', ')}`);
