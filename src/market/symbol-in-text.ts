/**
 * Which coin a question names: `analyze "how is SOL doing?"` analyses SOL. Matched against the
 * exchange's listed base coins, never guessed:
 * 1. a pair written out (`SOL/USDT`, `SOLUSDT`, `sol-usdt`);
 * 2. a listed base coin written in capitals (`SOL`), first one wins;
 * 3. a listed base coin in any case that is not a common English word (`sol`, but not `is` or `me`);
 * 4. a well-known coin name (`bitcoin`, `solana`), when its coin is listed.
 */
import type { MarketInfo } from './types.js';

/** Words that are also tickers somewhere; read as words unless written in capitals. */
const COMMON_WORDS = new Set(
  `a about after all an and any are as at be best big but buy by can coin coins day do does doing down for from get go good has have hot how i if in into is it its just long
  me more my new next no not now of off on one or our out over pump quick sell short should so some than that the them then there this to today top up us was we week what
  when where which who why will with would you your ai ok real key near link dot ton op uni sun gas fun ray mask people trump`.split(/\s+/),
);

const NAMES: Record<string, string> = {
  bitcoin: 'BTC',
  ethereum: 'ETH',
  ether: 'ETH',
  solana: 'SOL',
  ripple: 'XRP',
  dogecoin: 'DOGE',
  doge: 'DOGE',
  cardano: 'ADA',
  avalanche: 'AVAX',
  chainlink: 'LINK',
  polkadot: 'DOT',
  litecoin: 'LTC',
  tron: 'TRX',
  toncoin: 'TON',
  binance: 'BNB',
  cosmos: 'ATOM',
  near: 'NEAR',
  aptos: 'APT',
  arbitrum: 'ARB',
  optimism: 'OP',
  uniswap: 'UNI',
  filecoin: 'FIL',
  aave: 'AAVE',
  stellar: 'XLM',
  hedera: 'HBAR',
  injective: 'INJ',
  celestia: 'TIA',
  dogwifhat: 'WIF',
};

export function findSymbolInText(text: string, markets: readonly MarketInfo[]): MarketInfo | null {
  const byBase = new Map<string, MarketInfo>();
  for (const m of markets) if (m.active && !byBase.has(m.base.toUpperCase())) byBase.set(m.base.toUpperCase(), m);
  const pair = /\b([A-Za-z0-9]{2,15}?)[/\-_]?(USDT|USDC|USD)\b/gi;
  for (const match of text.matchAll(pair)) {
    const found = byBase.get(match[1]!.toUpperCase());
    if (found) return found;
  }
  const words = text.match(/[A-Za-z0-9]{2,15}/g) ?? [];
  const capitals = words.find((w) => w === w.toUpperCase() && /[A-Z]/.test(w) && byBase.has(w));
  if (capitals) return byBase.get(capitals)!;
  const plain = words.find((w) => !COMMON_WORDS.has(w.toLowerCase()) && byBase.has(w.toUpperCase()));
  if (plain) return byBase.get(plain.toUpperCase())!;
  for (const w of words) {
    const base = NAMES[w.toLowerCase()];
    if (base && byBase.has(base)) return byBase.get(base)!;
  }
  return null;
}
