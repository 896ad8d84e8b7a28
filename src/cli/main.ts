#!/usr/bin/env node
/**
 * `wspool <command>`: the command-line tool, built on the library (bundled by tsup as dist/cli.js).
 *
 * Exit codes: 0 success; 1 a failed run (the command printed why); 2 bad arguments (one line);
 * 130 a bench stopped by Ctrl-C, after its summary.
 */
import { fileURLToPath } from 'node:url';
import { MAIN_USAGE, parseCommand, UsageError } from './args.js';
import { runBench } from './bench.js';
import { runEchoServer } from './echo-server.js';
import { runProbe } from './probe.js';
import { packageVersion } from './version.js';

/** Once the command is done, the process may linger this long for stray handles, then exits. */
const EXIT_GRACE_MS = 3_000;

/** Run one command line (`argv` without `node` and the script); resolves with the exit code. */
async function main(argv: readonly string[], entry: string): Promise<number> {
  const command = commandOf(argv);
  if (typeof command === 'number') return command;
  try {
    switch (command.name) {
      case 'help':
        process.stdout.write(command.text);
        return 0;
      case 'version':
        process.stdout.write(`wspool ${packageVersion(entry)}\n`);
        return 0;
      case 'bench':
        return await runBench(command.options, entry);
      case 'probe':
        return await runProbe(command.options);
      case 'echo-server':
        return await runEchoServer(command.options);
    }
  } catch (error) {
    if (error instanceof UsageError) return usageError(command.name, error);
    // Anything the commands did not report themselves (a port in use, a bug): say so plainly.
    process.stderr.write(
      `wspool ${command.name}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
}

function commandOf(argv: readonly string[]): ReturnType<typeof parseCommand> | number {
  try {
    return parseCommand(argv);
  } catch (error) {
    if (error instanceof UsageError) return usageError(argv[0], error);
    throw error;
  }
}

/**
 * One line that says what is wrong and where the usage is; the whole usage only when no command
 * was given at all (then the list of commands is the answer).
 */
function usageError(command: string | undefined, error: UsageError): number {
  const prefix = error.usage === MAIN_USAGE ? 'wspool' : `wspool ${command}`;
  if (command === undefined) process.stderr.write(`${prefix}: ${error.message}\n\n${error.usage}`);
  else process.stderr.write(`${prefix}: ${error.message}; see ${prefix} --help\n`);
  return 2;
}

const entry = fileURLToPath(import.meta.url);
main(process.argv.slice(2), entry).then(
  (code) => {
    process.exitCode = code;
    // Normally the process ends here on its own; a handle left open must not hang a script.
    setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
  },
  (error: unknown) => {
    process.stderr.write(
      `wspool: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
