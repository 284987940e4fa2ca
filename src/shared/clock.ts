/** Time as a port: feature code reads the clock it is given (live: the system's; replay and tests: their own), never Date.now(). */
export interface Clock {
  /** Epoch ms. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
