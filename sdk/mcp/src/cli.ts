#!/usr/bin/env node
import { stderrLog } from './gateway.js';
import { USAGE, UsageError, parseOptions } from './options.js';
import { runServe } from './serve.js';
import { runStdio } from './stdio.js';

let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  if (err.message) process.stderr.write(`arbiter-mcp: ${err.message}\n\n`);
  process.stderr.write(USAGE);
  process.exit(err.message ? 2 : 0);
}

try {
  if (options.mode === 'serve') {
    const server = await runServe(options, stderrLog);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => server.close(() => process.exit(0)));
  } else {
    await runStdio(options, stderrLog);
  }
} catch (err) {
  stderrLog((err as Error).message);
  process.exit(1);
}
