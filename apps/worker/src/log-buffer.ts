/**
 * The agent's log: each line goes to stdout (the node's console) and into a bounded buffer
 * that heartbeats ship to the control plane. When the control plane is unreachable the
 * buffer keeps the newest lines and counts what it dropped. Secrets registered with
 * `redact` (and anything shaped like a bootstrap token) never leave the agent.
 */

export interface LogLine {
  /** ISO 8601 time. */
  readonly at: string;
  readonly stream: 'agent';
  readonly line: string;
}

export interface LogBufferOptions {
  readonly now: () => number;
  /** Lines kept while unsent (default 2000). */
  readonly capacity?: number;
  /** Longest line kept, in characters (the heartbeat contract's limit is 16 384). */
  readonly maxLineLength?: number;
  /** Where lines are echoed (default stdout); tests pass a collector. */
  readonly echo?: (text: string) => void;
}

/** Lines taken for one delivery; pass it back to `ack` once delivered. */
export interface LogBatch {
  readonly lines: readonly LogLine[];
  readonly lastSeq: number;
  readonly droppedReported: number;
}

export interface LogBuffer {
  log(message: string): void;
  /** Never log this value: it is replaced by `[redacted]` from now on. */
  redact(secret: string): void;
  /**
   * Up to `max` oldest unsent lines (they stay buffered until `ack`). If lines were dropped
   * since the last delivery, the batch starts with a line saying how many.
   */
  peek(max: number): LogBatch;
  /** The batch was delivered: forget its lines (lines logged since stay). */
  ack(batch: LogBatch): void;
  readonly size: number;
  /** Lines dropped since the start because the buffer was full. */
  readonly dropped: number;
}

const BOOTSTRAP_TOKEN = /ferry_boot_[A-Za-z0-9_-]+/g;
/** Query tokens (`ferry_qt_<claims>.<signature>`), should one ever reach a log line. */
const QUERY_TOKEN = /ferry_qt_[A-Za-z0-9_.-]+/g;

export function createLogBuffer(options: LogBufferOptions): LogBuffer {
  const capacity = Math.max(1, options.capacity ?? 2000);
  const maxLineLength = options.maxLineLength ?? 16_384;
  const echo = options.echo ?? ((text: string) => void process.stdout.write(`${text}\n`));
  const secrets: string[] = [];
  let entries: { seq: number; line: LogLine }[] = [];
  let seq = 0;
  let dropped = 0;
  let droppedUnreported = 0;

  const clean = (message: string): string => {
    let text = message.replace(BOOTSTRAP_TOKEN, '[redacted]').replace(QUERY_TOKEN, '[redacted]');
    for (const s of secrets) text = text.split(s).join('[redacted]');
    // One log entry per line: a multi-line message stays one entry.
    text = text.replace(/\r?\n/g, ' ⏎ ');
    return text.length > maxLineLength ? `${text.slice(0, maxLineLength - 1)}…` : text;
  };

  return {
    log(message: string) {
      const at = new Date(options.now()).toISOString();
      const line = clean(message);
      echo(`${at} ferry-worker: ${line}`);
      seq += 1;
      entries.push({ seq, line: { at, stream: 'agent', line } });
      if (entries.length > capacity) {
        const over = entries.length - capacity;
        entries = entries.slice(over);
        dropped += over;
        droppedUnreported += over;
      }
    },
    redact(secret: string) {
      if (secret !== '' && !secrets.includes(secret)) secrets.push(secret);
    },
    peek(max: number) {
      const notice = droppedUnreported > 0 ? 1 : 0;
      const taken = entries.slice(0, Math.max(0, max - notice));
      const lines = taken.map((e) => e.line);
      if (notice === 1) {
        const at = lines[0]?.at ?? new Date(options.now()).toISOString();
        lines.unshift({
          at,
          stream: 'agent',
          line: `${droppedUnreported} earlier log lines were dropped (buffer full)`,
        });
      }
      return {
        lines,
        lastSeq: taken.at(-1)?.seq ?? 0,
        droppedReported: droppedUnreported,
      };
    },
    ack(batch: LogBatch) {
      entries = entries.filter((e) => e.seq > batch.lastSeq);
      droppedUnreported = Math.max(0, droppedUnreported - batch.droppedReported);
    },
    get size() {
      return entries.length;
    },
    get dropped() {
      return dropped;
    },
  };
}
