/**
 * Live progress of a bench run, once a second: on a terminal one line rewritten in place, in a
 * pipe or a log file one plain line per second (carriage returns would garble it).
 */
import { formatCount, formatMs } from './report.js';

export interface ProgressSample {
  elapsedMs: number;
  /** Completed requests per second over the last interval. */
  rate: number;
  /** Errors since the start. */
  errors: number;
  /** p99 latency over the last interval, ms (0 when nothing completed). */
  p99: number;
}

export interface ProgressWriter {
  update(sample: ProgressSample): void;
  /** End the live line so what follows starts on a clean one. */
  done(): void;
}

/** The smallest stream a progress writer needs (`process.stderr` is one). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export function progressWriter(stream: ProgressStream): ProgressWriter {
  let live = false;
  return {
    update(sample) {
      const line = formatProgress(sample);
      if (stream.isTTY === true) {
        stream.write(`\r\x1b[2K${line}`);
        live = true;
      } else {
        stream.write(`${line}\n`);
      }
    },
    done() {
      if (live) stream.write('\r\x1b[2K');
      live = false;
    },
  };
}

export function formatProgress(sample: ProgressSample): string {
  const seconds = (sample.elapsedMs / 1000).toFixed(0).padStart(3);
  return `[${seconds}s] ${formatCount(Math.round(sample.rate)).padStart(9)} req/s   errors ${formatCount(sample.errors)}   p99 ${formatMs(sample.p99)}`;
}
