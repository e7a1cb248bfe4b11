#!/usr/bin/env node
/** Entry point of the `splitwire` binary. */
import { main } from './cli.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // main() reports every error itself; this is the last resort (an error while reporting).
    const debug = process.argv.includes('--debug');
    const text = err instanceof Error ? (debug ? (err.stack ?? err.message) : err.message.split('\n')[0]) : String(err);
    process.stderr.write(`splitwire: ${text}\n`);
    process.exitCode = 1;
  },
);
