// Loaded before every test file. Vitest already fails the run on an unhandled rejection or an
// uncaught exception; this makes the rule explicit and names the test that leaked it.
process.on('unhandledRejection', (reason) => {
  throw reason instanceof Error ? reason : new Error(`unhandled rejection: ${String(reason)}`);
});
