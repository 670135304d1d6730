/** Captures log lines in memory, to assert what was (and was not) logged. */
import type { DestinationStream } from 'pino';

/** A pino destination that keeps every line. */
export interface LogCapture extends DestinationStream {
  /** Raw lines, as written. */
  readonly lines: string[];
  /** Lines parsed as JSON. */
  entries(): Record<string, unknown>[];
  /** Everything written, as one string. */
  text(): string;
}

/** Creates an empty capture. */
export function createLogCapture(): LogCapture {
  const lines: string[] = [];
  return {
    lines,
    write(msg: string) {
      for (const l of msg.split('\n')) if (l.trim()) lines.push(l);
    },
    entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    text: () => lines.join('\n'),
  };
}
