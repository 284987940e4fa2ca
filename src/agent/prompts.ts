/**
 * The analyst's prompt templates: markdown files in the package's `prompts/` folder, loaded by
 * name and rendered with `{{placeholder}}` values. The same templates drive the unattended runner
 * and are published as MCP prompts, so a Claude Desktop user gets the same analysis.
 *
 * Argument values are data, not prompt text: each is cleaned (invisible and control characters
 * removed, newlines and runs of spaces collapsed to one space, characters that could open markup
 * or a placeholder removed) and bounded in length before it is substituted, in one pass (a value
 * is never expanded again). A line whose only placeholders are optional arguments that were not
 * given is dropped.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { AppError } from '../errors.js';
import { cleanText } from '../sentiment/untrusted.js';

export const PROMPT_NAMES = ['system', 'mover-analysis', 'symbol-analysis', 'daily-session-preamble'] as const;
export type PromptName = (typeof PROMPT_NAMES)[number];

export interface PromptArgument {
  name: string;
  description: string;
  required: boolean;
  /** Used when the argument is absent; without one an absent optional argument drops its lines. */
  default?: string;
  maxLength: number;
  /** Maps common spellings to one form (after cleaning). */
  normalize?: (value: string) => string;
}

export interface PromptTemplate {
  name: PromptName;
  title: string;
  description: string;
  arguments: readonly PromptArgument[];
}

const DEFAULT_TIMEFRAMES = '15m, 1h and 4h';

function normalizeDirection(value: string): string {
  if (/^(up|gainer|gainers|gain|bull(ish)?|long|rising|\+)$/i.test(value)) return 'gainer';
  if (/^(down|loser|losers|loss|bear(ish)?|short|falling|-)$/i.test(value)) return 'loser';
  return value;
}

/** `7.3`, `+7.3`, `7.3%`, `-12` → `+7.3%`, `-12%`; anything else is kept as cleaned text. */
function normalizeChange(value: string): string {
  const m = /^([+-]?)(\d+(?:\.\d+)?)\s*%?$/.exec(value);
  if (!m) return value;
  const sign = m[1] === '-' ? '-' : '+';
  return `${sign}${m[2]}%`;
}

const symbol: PromptArgument = { name: 'symbol', description: 'coin to analyse, e.g. BTC/USDT or SOLUSDT', required: true, maxLength: 40 };
const timeframes: PromptArgument = {
  name: 'timeframes',
  description: `timeframes to weigh (default: ${DEFAULT_TIMEFRAMES})`,
  required: false,
  default: DEFAULT_TIMEFRAMES,
  maxLength: 60,
};

export const PROMPT_TEMPLATES: Record<PromptName, PromptTemplate> = {
  system: {
    name: 'system',
    title: 'Analyst instructions',
    description: "The analyst's standing instructions: gather evidence with the tools, then end with submit_trading_signal.",
    arguments: [],
  },
  'mover-analysis': {
    name: 'mover-analysis',
    title: 'Analyse a market mover',
    description: 'Analyse a coin that moved strongly in 24h (continuation or exhaustion?) and end with a trading signal or a reason for none.',
    arguments: [
      symbol,
      { name: 'direction', description: 'gainer or loser (up/down also accepted)', required: true, maxLength: 20, normalize: normalizeDirection },
      { name: 'change', description: '24h change, e.g. +7.3%', required: true, maxLength: 20, normalize: normalizeChange },
      timeframes,
      { name: 'signal_id', description: 'idempotency key for submit_trading_signal (optional)', required: false, maxLength: 64 },
    ],
  },
  'symbol-analysis': {
    name: 'symbol-analysis',
    title: 'Analyse a coin',
    description: 'Multi-timeframe technical and sentiment analysis of one coin, ending with a trading signal or a reason for none.',
    arguments: [
      symbol,
      timeframes,
      {
        name: 'question',
        description: 'what to find out (default: is there a trade now?)',
        required: false,
        default: 'Is there a trade here now, and which way?',
        maxLength: 500,
      },
    ],
  },
  'daily-session-preamble': {
    name: 'daily-session-preamble',
    title: 'Daily session preamble',
    description: 'Frames a day-long conversation in which every analysis of the day arrives in turn.',
    arguments: [
      { name: 'date', description: 'trading day, YYYY-MM-DD (UTC)', required: true, maxLength: 10 },
      { name: 'operation', description: 'scanner, analysis or monitor (default scanner)', required: false, default: 'scanner', maxLength: 20 },
    ],
  },
};

export function isPromptName(name: string): name is PromptName {
  return (PROMPT_NAMES as readonly string[]).includes(name);
}

/** The package's prompts/ folder: two levels above this module in src/agent/ and in dist/agent/. */
export const PROMPTS_DIR = fileURLToPath(new URL('../../prompts/', import.meta.url));

const cache = new Map<PromptName, Promise<string>>();

export function loadPromptTemplate(name: PromptName): Promise<string> {
  let text = cache.get(name);
  if (!text) {
    text = readFile(`${PROMPTS_DIR}${name}.md`, 'utf8').then(
      (t) => t.replace(/\r\n/g, '\n'),
      (error: unknown) => {
        cache.delete(name);
        throw new AppError('CONFIG', `Prompt template ${name}.md is missing from ${PROMPTS_DIR}`, {
          cause: error,
          hint: 'reinstall cctrader; the prompts/ folder ships with the package',
        });
      },
    );
    cache.set(name, text);
  }
  return text;
}

/** Clean one argument value: one line, no invisible characters, no markup or placeholder openers. */
export function escapeArgument(value: string, maxLength: number): string {
  const oneLine = cleanText(value, maxLength * 2);
  const safe = oneLine
    .replace(/[<>{}`"\\]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = Array.from(safe);
  return chars.length <= maxLength
    ? safe
    : chars
        .slice(0, Math.max(0, maxLength - 1))
        .join('')
        .trimEnd() + '…';
}

const PLACEHOLDER = /\{\{([a-z_]+)\}\}/g;

/** Render a template's text with the given arguments, checked against its declaration; errors name the prompt `label`. */
export function renderTemplate(template: PromptTemplate, text: string, args: Record<string, string | undefined>, label: string = template.name): string {
  const values = new Map<string, string>();
  const dropped = new Set<string>();
  for (const arg of template.arguments) {
    const raw = args[arg.name];
    let value = typeof raw === 'string' ? escapeArgument(raw, arg.maxLength) : '';
    if (value && arg.normalize) value = arg.normalize(value);
    if (!value && arg.default !== undefined) value = arg.default;
    if (!value) {
      if (arg.required) {
        throw new AppError('INVALID_INPUT', `Prompt ${label} needs the argument ${arg.name} (${arg.description})`);
      }
      dropped.add(arg.name);
      continue;
    }
    values.set(arg.name, value);
  }
  const unknown = Object.keys(args).filter((k) => args[k] !== undefined && !template.arguments.some((a) => a.name === k));
  if (unknown.length > 0) {
    throw new AppError('INVALID_INPUT', `Prompt ${label} has no argument ${unknown.slice(0, 3).join(', ').slice(0, 80)}`, {
      hint: `its arguments: ${template.arguments.map((a) => a.name).join(', ') || 'none'}`,
    });
  }
  const lines = text.split('\n').filter((line) => {
    const names = [...line.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
    return names.length === 0 || !names.some((n) => dropped.has(n));
  });
  return lines
    .join('\n')
    .replace(PLACEHOLDER, (whole, name: string) => {
      const value = values.get(name);
      if (value === undefined) throw new AppError('INTERNAL', `Prompt template ${template.name}.md uses an undeclared placeholder {{${name}}}`);
      return value;
    })
    .trim();
}

/** Load and render one template by name; `label` is the name errors use (an MCP prompt's own name). */
export async function renderPrompt(name: PromptName, args: Record<string, string | undefined> = {}, label?: string): Promise<string> {
  return renderTemplate(PROMPT_TEMPLATES[name], await loadPromptTemplate(name), args, label);
}

export interface AnalystPrompts {
  systemPrompt: string;
  prompt: string;
}

export type AnalystTask =
  | { kind: 'mover'; symbol: string; direction: string; change: string; timeframes?: string; signalId?: string }
  | { kind: 'symbol'; symbol: string; timeframes?: string; question?: string };

/**
 * The system prompt and task of one runner analysis. In daily mode the preamble joins the system
 * prompt, so every run of the day's conversation is framed the same way.
 */
export async function analystPrompts(task: AnalystTask, daily?: { operation: string; date: string }): Promise<AnalystPrompts> {
  const system = await renderPrompt('system');
  const preamble = daily ? await renderPrompt('daily-session-preamble', { operation: daily.operation, date: daily.date }) : '';
  const prompt =
    task.kind === 'mover'
      ? await renderPrompt('mover-analysis', {
          symbol: task.symbol,
          direction: task.direction,
          change: task.change,
          timeframes: task.timeframes,
          signal_id: task.signalId,
        })
      : await renderPrompt('symbol-analysis', { symbol: task.symbol, timeframes: task.timeframes, question: task.question });
  return { systemPrompt: preamble ? `${system}\n\n${preamble}` : system, prompt };
}
