/**
 * Preloaded into a child process under test (`node --import <this file> bin/cctrader.js ...`): the
 * native SQLite module fails to load the way a module built for another Node.js fails
 * (ERR_DLOPEN_FAILED, "compiled against a different Node.js version"), so the test sees what a
 * user who switched Node versions sees.
 */
const realDlopen = process.dlopen.bind(process);
process.dlopen = (module, filename, ...rest) => {
  if (String(filename).includes('better_sqlite3')) {
    const error = new Error(
      `The module '${filename}'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 108. This version of Node.js requires\nNODE_MODULE_VERSION 115.`,
    );
    error.code = 'ERR_DLOPEN_FAILED';
    throw error;
  }
  return realDlopen(module, filename, ...rest);
};
