/** Boxed terminal tables in the style of the original CLI. Pure string building. */
export { cutAtWord } from '../../shared/text.js';

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
const visibleLength = (s: string): number => s.replace(ANSI_COLOUR, '').length;

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const gap = Math.max(0, width - visibleLength(text));
  return align === 'right' ? ' '.repeat(gap) + text : text + ' '.repeat(gap);
}

export function renderTable(title: string, columns: Column[], rows: string[][]): string {
  const widths = columns.map((c, i) => Math.max(visibleLength(c.header), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const titleText = `─ ${title} `;
  const natural = widths.reduce((a, w) => a + w + 3, -1);
  if (titleText.length > natural && widths.length) widths[widths.length - 1]! += titleText.length - natural;
  const inner = Math.max(natural, titleText.length);
  const top = `┌${titleText}${'─'.repeat(Math.max(0, inner - titleText.length))}┐`;
  const line = (cells: string[]) => `│ ${cells.map((cell, i) => pad(cell, widths[i]!, columns[i]!.align ?? 'left')).join(' │ ')} │`;
  const sep = (l: string, m: string, r: string) => `${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${r}`;
  const out = [top, line(columns.map((c) => c.header)), sep('├', '┼', '┤')];
  for (const r of rows) out.push(line(r));
  out.push(sep('└', '┴', '┘'));
  return out.join('\n');
}

/** A titled box of `label: value` lines. */
export function renderPanel(title: string, lines: string[]): string {
  const width = Math.max(title.length + 3, ...lines.map((l) => visibleLength(l) + 2));
  const titleText = `─ ${title} `;
  const top = `┌${titleText}${'─'.repeat(Math.max(0, width - titleText.length))}┐`;
  const body = lines.map((l) => `│ ${pad(l, width - 2, 'left')} │`);
  return [top, ...body, `└${'─'.repeat(width)}┘`].join('\n');
}

/** Text wrapped at `width` characters per line, paragraphs kept; at most `maxLines` lines. */
export function wrapText(text: string, width: number, maxLines = 60): string[] {
  const out: string[] = [];
  for (const paragraph of text.split(/\n+/)) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    if (line) out.push(line);
  }
  return out.slice(0, maxLines);
}

/** A price as the README promises it: 7 significant digits (97,123.45 → 97123.45; 0.000012345678 → 0.00001234568). */
export function formatPrice(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return String(Number(value.toPrecision(7)));
}

export function formatUsd(value: number, digits = 2): string {
  const sign = value < 0 ? '-' : '';
  return `${sign}$${Math.abs(value).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

export function formatPct(value: number | null, digits = 2): string {
  if (value === null) return '—';
  return `${value >= 0 ? '+' : ''}${value.toFixed(digits)}%`;
}
