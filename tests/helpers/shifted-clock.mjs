/**
 * Preloaded into a child process under test (`node --import <this file> bin/cctrader.js ...`): the
 * child's wall clock reads TEST_CLOCK_OFFSET_MS milliseconds ahead of the machine's, so that a
 * `cctrader` child and the simulated exchange of the test process (whose clock the test moved
 * forward) agree on the time, as if the child had been started that much later. Only Date.now is
 * shifted: it is the product's one clock (src/deps.ts `systemClock`) and the runner's.
 */
const offset = Math.round(Number(process.env.TEST_CLOCK_OFFSET_MS ?? '0'));
if (Number.isFinite(offset) && offset !== 0) {
  const realNow = Date.now.bind(Date);
  Date.now = () => realNow() + offset;
}
