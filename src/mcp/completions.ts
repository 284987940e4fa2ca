/**
 * completion/complete for the prompts' and resource templates' arguments:
 * - `symbol`: the exchange's listed markets matching the prefix (case-insensitive; `bt`, `BTC/`,
 *   `btcusdt` all find BTC/USDT:USDT), most traded (24h turnover) first;
 * - `direction`: gainer, loser; `operation`: scanner, analysis, monitor; `date`: today, yesterday;
 * - `timeframes`: the supported timeframes, completing the last item of a comma-separated list;
 * - `name`: the portfolios; `id`: the replays, newest first.
 * At most 20 values. A failure to list (the exchange down) completes nothing rather than failing.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CompleteRequestSchema, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import type { Deps } from '../deps.js';
import { TIMEFRAMES } from '../market/types.js';
import type { Ready } from './context.js';
import { dataResources } from './data-resources.js';
import type { McpPromptDefinition } from './prompts/registry.js';
import { rpcError } from './rpc-error.js';

const MAX_VALUES = 20;
/** How long the symbols ranked by turnover are reused, ms. */
const RANKING_TTL_MS = 60_000;
const DAY_MS = 86_400_000;

type Completer = (deps: Deps, value: string) => Promise<string[]>;

const startsWith = (values: readonly string[], prefix: string): string[] => values.filter((v) => v.toLowerCase().startsWith(prefix.trim().toLowerCase()));

const ranking = new WeakMap<Deps['market'], { at: number; symbols: Promise<Array<{ symbol: string; keys: string[] }>> }>();

/** The listed markets, most traded first (alphabetical when tickers cannot be had), cached a minute. */
function rankedSymbols(deps: Deps): Promise<Array<{ symbol: string; keys: string[] }>> {
  const now = deps.clock.now();
  const cached = ranking.get(deps.market);
  if (cached && now - cached.at < RANKING_TTL_MS) return cached.symbols;
  const symbols = (async () => {
    const markets = (await deps.market.markets()).filter((m) => m.active);
    const turnover = new Map<string, number>();
    try {
      for (const t of await deps.market.tickers()) turnover.set(t.symbol, t.quoteVolume24h ?? 0);
    } catch {
      // Ranked alphabetically instead.
    }
    return markets
      .sort((a, b) => (turnover.get(b.symbol) ?? 0) - (turnover.get(a.symbol) ?? 0) || a.symbol.localeCompare(b.symbol))
      .map((m) => ({ symbol: m.symbol, keys: [compact(m.symbol), compact(m.id), m.base.toLowerCase()] }));
  })();
  ranking.set(deps.market, { at: now, symbols });
  symbols.catch(() => ranking.delete(deps.market));
  return symbols;
}

const compact = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, '');

const symbolCompleter: Completer = async (deps, value) => {
  const prefix = compact(value);
  return (await rankedSymbols(deps)).filter((s) => s.keys.some((k) => k.startsWith(prefix))).map((s) => s.symbol);
};

/** The last item of a comma-separated list completed, the items before it kept. */
const timeframesCompleter: Completer = async (_deps, value) => {
  const parts = value.split(',');
  const last = parts.pop()!.trim();
  const before = parts.map((p) => p.trim()).filter(Boolean);
  const head = before.length ? `${before.join(',')},` : '';
  return startsWith(
    TIMEFRAMES.filter((tf) => !before.includes(tf)),
    last,
  ).map((tf) => head + tf);
};

const COMPLETERS: Record<string, Completer> = {
  symbol: symbolCompleter,
  timeframes: timeframesCompleter,
  direction: async (_deps, value) => startsWith(['gainer', 'loser'], value),
  operation: async (_deps, value) => startsWith(['scanner', 'analysis', 'monitor'], value),
  date: async (deps, value) => {
    const now = deps.clock.now();
    return startsWith(
      [now, now - DAY_MS].map((t) => new Date(t).toISOString().slice(0, 10)),
      value,
    );
  },
  name: async (deps, value) =>
    startsWith(
      (await deps.db.selectFrom('paper_portfolios').select('name').orderBy('id').execute()).map((r) => r.name),
      value,
    ),
  id: async (deps, value) =>
    startsWith(
      (await deps.db.selectFrom('replay_runs').select('id').orderBy('created_at', 'desc').limit(200).execute()).map((r) => r.id),
      value,
    ),
};

export function registerCompletions(server: Server, ready: Ready, prompts: readonly McpPromptDefinition[]): void {
  const templates = new Set(dataResources.filter((r) => r.pattern.includes('{')).map((r) => r.pattern));
  server.setRequestHandler(CompleteRequestSchema, async ({ params: { ref, argument } }) => {
    const known = ref.type === 'ref/prompt' ? prompts.find((p) => p.name === ref.name)?.arguments : templates.has(ref.uri) ? argumentsOf(ref.uri) : undefined;
    if (!known) {
      const what = ref.type === 'ref/prompt' ? `prompt ${ref.name}` : `resource template ${ref.uri}`;
      throw rpcError(ErrorCode.InvalidParams, `No ${what.slice(0, 120)}`);
    }
    const completer = known.includes(argument.name) ? COMPLETERS[argument.name] : undefined;
    if (!completer) return { completion: { values: [], total: 0, hasMore: false } };
    const { deps } = await ready;
    const values = await completer(deps, argument.value).catch(() => []);
    return { completion: { values: values.slice(0, MAX_VALUES), total: values.length, hasMore: values.length > MAX_VALUES } };
  });
}

function argumentsOf(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
}
