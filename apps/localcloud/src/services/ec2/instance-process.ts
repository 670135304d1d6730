/**
 * The local process that stands for an instance's workload. User-data decides it:
 * - a script starting with `#!` runs under its interpreter;
 * - a JSON document `{"command": ["prog", "arg", …], "env": {…}, "cwd": "…"}` runs that command;
 * - anything else (or none) starts no process; the instance simply runs.
 * The process gets a minimal environment (no credentials): its own IMDS endpoint, region and
 * the cloud's endpoint URL, so SDKs inside find credentials the way they do on EC2.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ProcessSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
}

/** Parses user-data (base64) into what to run; a string explains why nothing runs. */
export function processSpecFromUserData(
  userData: string | undefined,
  dir: string,
): ProcessSpec | string {
  if (!userData) return 'no user-data';
  const text = Buffer.from(userData, 'base64').toString('utf8');
  if (text.startsWith('#!')) {
    const file = join(dir, 'user-data');
    writeFileSync(file, text);
    chmodSync(file, 0o755);
    return { command: file, args: [], env: {} };
  }
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let doc: unknown;
    try {
      doc = JSON.parse(trimmed);
    } catch (e) {
      return `user-data is not valid JSON: ${(e as Error).message}`;
    }
    const d = doc as { command?: unknown; env?: unknown; cwd?: unknown };
    if (
      !Array.isArray(d.command) ||
      d.command.length === 0 ||
      !d.command.every((c) => typeof c === 'string')
    ) {
      return 'user-data JSON needs "command": a non-empty array of strings';
    }
    const env: Record<string, string> = {};
    if (d.env !== undefined) {
      if (typeof d.env !== 'object' || d.env === null)
        return 'user-data JSON "env" must be an object of strings';
      for (const [k, v] of Object.entries(d.env)) {
        if (typeof v !== 'string') return `user-data JSON "env.${k}" must be a string`;
        env[k] = v;
      }
    }
    if (d.cwd !== undefined && typeof d.cwd !== 'string')
      return 'user-data JSON "cwd" must be a string';
    const [command, ...args] = d.command;
    return {
      command: command as string,
      args,
      env,
      ...(typeof d.cwd === 'string' ? { cwd: d.cwd } : {}),
    };
  }
  return 'user-data is neither a #! script nor a JSON command document';
}

/** Environment variables inherited from localcloud (only what a program needs to run). */
const INHERITED = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'NODE_OPTIONS'];

/** Starts the process in its own process group, output appended to `consoleFile`. */
export function spawnInstanceProcess(
  spec: ProcessSpec,
  dir: string,
  consoleFile: string,
  baseEnv: Record<string, string>,
): ChildProcess {
  mkdirSync(dir, { recursive: true });
  const env: Record<string, string> = { HOME: dir };
  for (const k of INHERITED) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  Object.assign(env, baseEnv, spec.env);
  const fd = openSync(consoleFile, 'a');
  try {
    return spawn(spec.command, spec.args, {
      cwd: spec.cwd ?? dir,
      env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
}
