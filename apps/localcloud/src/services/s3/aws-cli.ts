/**
 * Runs Debian's awscli against a localcloud endpoint as an independent client for tests:
 * isolated from any user configuration, path-style S3, failing loudly when absent.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const AWS_CLI = '/usr/bin/aws';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface AwsCli {
  run(args: string[], options?: { input?: string }): Promise<CliResult>;
  /** Runs and parses stdout as JSON; throws with stderr when the command fails. */
  json<T = Record<string, unknown>>(args: string[]): Promise<T>;
  /** A scratch directory for files passed to the CLI, removed by `dispose`. */
  readonly dir: string;
  dispose(): Promise<void>;
}

export async function createAwsCli(options: {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region?: string;
}): Promise<AwsCli> {
  if (!existsSync(AWS_CLI)) {
    throw new Error(`${AWS_CLI} is missing: install Debian's awscli package`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'localcloud-awscli-'));
  const config = join(dir, 'config');
  await writeFile(config, '[default]\ns3 =\n    addressing_style = path\n');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: dir,
    AWS_ACCESS_KEY_ID: options.accessKeyId,
    AWS_SECRET_ACCESS_KEY: options.secretAccessKey,
    AWS_DEFAULT_REGION: options.region ?? 'us-east-1',
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
    AWS_RETRY_MODE: 'standard',
    AWS_MAX_ATTEMPTS: '1',
  };
  const run = (args: string[], runOptions: { input?: string } = {}) =>
    new Promise<CliResult>((resolve, reject) => {
      const child = execFile(
        AWS_CLI,
        ['--endpoint-url', options.endpoint, '--output', 'json', ...args],
        { env, cwd: dir, maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== 'number') {
            reject(new Error(`aws could not run: ${error.message}`, { cause: error }));
            return;
          }
          resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
        },
      );
      if (runOptions.input !== undefined) child.stdin?.end(runOptions.input);
    });
  return {
    dir,
    run,
    async json<T>(args: string[]) {
      const result = await run(args);
      if (result.code !== 0) {
        throw new Error(`aws ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
      }
      return (result.stdout.trim() === '' ? {} : JSON.parse(result.stdout)) as T;
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
