/**
 * Stateless, seeded pseudo-randomness for the simulated market. Every random number in the model
 * is `unit(key, a, b)`: a pure function of a 32-bit key (seed and symbol) and two integer
 * coordinates (usually a series id and a time index), so any point in history can be computed
 * without walking from an origin.
 */

/** murmur3's 32-bit finaliser: a bijective avalanche mix. */
export function fmix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Mixes an integer that may exceed 32 bits (time indices, negative too) into a 32-bit hash. */
function mixIndex(h: number, index: number): number {
  const lo = index | 0;
  const hi = Math.floor(index / 4294967296) | 0;
  h = fmix32(h ^ Math.imul(lo, 0x9e3779b1));
  return fmix32(h ^ Math.imul(hi + 0x632be5ab, 0x7feb352d));
}

/** A 32-bit hash of (key, a, b). */
export function hash32(key: number, a: number, b: number): number {
  return mixIndex(mixIndex(fmix32(key ^ 0x2545f491), a), b);
}

/** Uniform in [0, 1) from (key, a, b). */
export function unit(key: number, a: number, b: number): number {
  return hash32(key, a, b) / 4294967296;
}

/** Uniform in [-1, 1) from (key, a, b). */
export function signedUnit(key: number, a: number, b: number): number {
  return unit(key, a, b) * 2 - 1;
}

/**
 * The fast path for hot loops: a 32-bit hash of (seriesKey, index) where `seriesKey` is
 * `seriesKeyOf(key, series)`, precomputed once. Same quality as `hash32` for indices in ±2^31,
 * one extra mix beyond that.
 */
export function hashAt(seriesKey: number, index: number): number {
  let h = fmix32(seriesKey ^ Math.imul(index | 0, 0x9e3779b1));
  const hi = Math.floor(index / 4294967296);
  if (hi !== 0 && hi !== -1) h = fmix32(h ^ Math.imul(hi, 0x7feb352d));
  return h;
}

/** The per-(key, series) seed for `hashAt`. */
export function seriesKeyOf(key: number, series: number): number {
  return fmix32(key ^ Math.imul(series + 1, 0x632be5ab));
}

/** FNV-1a of a string: the stable per-symbol part of every key. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The key for one symbol's series under one seed. */
export function symbolKey(seed: number, symbol: string): number {
  return fmix32(hashString(symbol) ^ Math.imul(seed | 0, 0x27d4eb2f));
}

/** A seeded sequential generator (mulberry32) for one-off set-up decisions such as shuffles. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
