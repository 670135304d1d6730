/**
 * Where the CLI reads and writes; tests pass their own to capture output. Only a terminal
 * on stdin may be asked a question: without one, ferry never prompts.
 */
import { createInterface } from 'node:readline/promises';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stdin is a terminal (only then may ferry ask a question). */
  readonly interactive?: boolean;
  /** All of stdin, for `--password-stdin` and `--token-stdin`. */
  readStdin?(): Promise<string>;
  /** Asks on the terminal; `hidden` does not echo what is typed. Only when interactive. */
  ask?(question: string, options?: { hidden?: boolean }): Promise<string>;
  /** Opens a URL in the user's browser. */
  openUrl?(url: string): Promise<void>;
}

async function readAll(): Promise<string> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += chunk as string;
  return text;
}

/** Reads a line without echoing it (a password), in raw mode. */
function askHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const done = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          done();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          done();
          reject(new Error('interrupted'));
          return;
        }
        value = ch === '\u007f' || ch === '\b' ? value.slice(0, -1) : value + ch;
      }
    };
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.resume();
    stdin.on('data', onData);
  });
}

async function ask(question: string, options: { hidden?: boolean } = {}): Promise<string> {
  if (options.hidden === true) return askHidden(question);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

async function openUrl(url: string): Promise<void> {
  const { spawn } = await import('node:child_process');
  const opener =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  await new Promise<void>((resolve, reject) => {
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

/** The process's own streams. */
export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  get interactive() {
    return process.stdin.isTTY === true;
  },
  readStdin: readAll,
  ask,
  openUrl,
};

/** An io that collects what is written, for tests and embedding; never interactive. */
export function createBufferIo(
  options: { stdin?: string } = {},
): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    interactive: false,
    readStdin: () => Promise.resolve(options.stdin ?? ''),
    out: () => out,
    err: () => err,
  };
}
