/**
 * The simulated exchange's catalogue: USDT-margined linear perpetuals (and the spot pairs with the
 * same ids), with tick sizes, lot sizes and activity levels close to Bybit's in 2024-2025.
 * Prices and sizes are decimal strings exactly as the exchange prints them; `anchorPrice` is the
 * centre (USDT) the simulated price path wanders around.
 */

export interface InstrumentSpec {
  /** Exchange id, e.g. `BTCUSDT` (the same id names the spot pair and the perpetual). */
  id: string;
  base: string;
  quote: 'USDT';
  /** Centre of the simulated price path, USDT. */
  anchorPrice: number;
  /** Price increment, decimal string (also the price resolution of every simulated number). */
  tickSize: string;
  /** Quantity increment for the perpetual, decimal string (also the volume resolution). */
  qtyStep: string;
  minOrderQty: string;
  maxOrderQty: string;
  maxMktOrderQty: string;
  maxLeverage: string;
  /** Typical 24h turnover of the perpetual, USDT. */
  dailyTurnover: number;
  /** Typical open interest value, USDT. */
  openInterestValue: number;
  /** Relative short-term volatility (1 = a typical large-cap altcoin). */
  volScale: number;
  /** Bybit launch time, epoch ms (informational). */
  launchTime: number;
  /** Never one of the trending "movers" (BTC and ETH stay calm so the demo looks plausible). */
  calm?: boolean;
}

const L2020 = Date.UTC(2020, 2, 26);
const L2021 = Date.UTC(2021, 4, 12);
const L2022 = Date.UTC(2022, 1, 10);
const L2023 = Date.UTC(2023, 4, 3);

function spec(
  id: string,
  anchorPrice: number,
  tickSize: string,
  qtyStep: string,
  maxOrderQty: string,
  maxLeverage: string,
  dailyTurnover: number,
  openInterestValue: number,
  volScale: number,
  launchTime: number,
  calm = false,
): InstrumentSpec {
  const base = id.slice(0, -4);
  const maxMkt = String(Math.round(Number(maxOrderQty) / 5 / Number(qtyStep)) * Number(qtyStep));
  return {
    id,
    base,
    quote: 'USDT',
    anchorPrice,
    tickSize,
    qtyStep,
    minOrderQty: qtyStep,
    maxOrderQty,
    maxMktOrderQty: trimNumber(maxMkt, qtyStep),
    maxLeverage,
    dailyTurnover,
    openInterestValue,
    volScale,
    launchTime,
    ...(calm ? { calm: true } : {}),
  };
}

/** Formats `text` (a number) with as many decimals as `step` has. */
function trimNumber(text: string, step: string): string {
  const decimals = decimalsOf(step);
  return Number(text).toFixed(decimals);
}

/** Number of digits after the decimal point of a decimal string ("0.010" → 3). */
export function decimalsOf(step: string): number {
  const dot = step.indexOf('.');
  return dot < 0 ? 0 : step.length - dot - 1;
}

/** The 30 linear perpetuals, most liquid first. */
export const INSTRUMENTS: readonly InstrumentSpec[] = [
  spec('BTCUSDT', 67_250, '0.10', '0.001', '1190.000', '100.00', 6.5e9, 6.0e9, 0.75, L2020, true),
  spec('ETHUSDT', 3_480, '0.01', '0.01', '7240.00', '100.00', 3.2e9, 3.1e9, 0.9, L2020, true),
  spec('SOLUSDT', 152.4, '0.010', '0.1', '79770.0', '100.00', 1.6e9, 1.9e9, 1.1, L2021),
  spec('XRPUSDT', 0.5612, '0.0001', '1', '1810000', '75.00', 7.5e8, 6.4e8, 1.0, L2021),
  spec('DOGEUSDT', 0.15234, '0.00001', '1', '6400000', '75.00', 7.0e8, 5.8e8, 1.2, L2021),
  spec('BNBUSDT', 584.3, '0.10', '0.01', '1630.00', '75.00', 2.1e8, 3.0e8, 0.8, L2021),
  spec('ADAUSDT', 0.4531, '0.0001', '1', '1980000', '75.00', 2.6e8, 2.9e8, 1.0, L2021),
  spec('AVAXUSDT', 34.85, '0.001', '0.1', '40570.0', '50.00', 2.2e8, 2.1e8, 1.15, L2021),
  spec('LINKUSDT', 15.42, '0.001', '0.1', '31390.0', '50.00', 2.4e8, 2.6e8, 1.1, L2021),
  spec('DOTUSDT', 7.118, '0.001', '0.1', '60690.0', '50.00', 1.1e8, 1.3e8, 1.05, L2021),
  spec('TRXUSDT', 0.12345, '0.00001', '1', '2860000', '50.00', 6.0e7, 9.0e7, 0.7, L2021),
  spec('LTCUSDT', 81.37, '0.01', '0.1', '7330.0', '50.00', 1.5e8, 1.8e8, 0.95, L2021),
  spec('BCHUSDT', 382.15, '0.05', '0.01', '800.00', '50.00', 1.2e8, 1.5e8, 1.0, L2021),
  spec('NEARUSDT', 5.512, '0.001', '0.1', '147350.0', '50.00', 1.8e8, 1.9e8, 1.2, L2022),
  spec('ATOMUSDT', 8.214, '0.001', '0.1', '78080.0', '50.00', 9.0e7, 1.1e8, 1.05, L2022),
  spec('UNIUSDT', 9.347, '0.001', '0.1', '64390.0', '50.00', 1.0e8, 1.2e8, 1.15, L2022),
  spec('APTUSDT', 9.083, '0.0001', '0.01', '229880.00', '50.00', 1.4e8, 1.6e8, 1.25, L2022),
  spec('ARBUSDT', 0.9124, '0.0001', '0.1', '1190000.0', '50.00', 2.0e8, 2.2e8, 1.25, L2023),
  spec('OPUSDT', 2.1045, '0.0001', '0.1', '367290.0', '50.00', 1.6e8, 1.7e8, 1.25, L2022),
  spec('SUIUSDT', 1.2158, '0.0001', '10', '2410000', '50.00', 3.0e8, 2.8e8, 1.35, L2023),
  spec('INJUSDT', 24.615, '0.001', '0.1', '18560.0', '50.00', 1.3e8, 1.2e8, 1.3, L2022),
  spec('FILUSDT', 5.513, '0.001', '0.1', '96240.0', '50.00', 8.0e7, 1.0e8, 1.15, L2021),
  spec('ETCUSDT', 25.182, '0.001', '0.1', '17740.0', '50.00', 9.0e7, 1.1e8, 1.05, L2021),
  spec('AAVEUSDT', 101.36, '0.01', '0.01', '3480.00', '50.00', 1.1e8, 1.3e8, 1.15, L2021),
  spec('TONUSDT', 6.5124, '0.0001', '0.1', '185960.0', '50.00', 1.2e8, 1.5e8, 1.0, L2023),
  spec('WIFUSDT', 2.4816, '0.0001', '1', '1000000', '50.00', 3.2e8, 2.5e8, 1.6, L2023),
  spec('SEIUSDT', 0.4527, '0.0001', '1', '2010000', '50.00', 9.0e7, 9.0e7, 1.4, L2023),
  spec('TIAUSDT', 7.0412, '0.0001', '0.1', '139590.0', '50.00', 1.1e8, 1.1e8, 1.4, L2023),
  spec('HBARUSDT', 0.08134, '0.00001', '1', '6420000', '50.00', 6.0e7, 7.0e7, 1.1, L2022),
  spec('XLMUSDT', 0.10213, '0.00001', '1', '5070000', '50.00', 5.0e7, 6.5e7, 0.95, L2022),
];
