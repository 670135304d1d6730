/**
 * Named profiles: where `ferry login` keeps a control plane's URL and a token. One JSON file
 * in the user's config directory (`$XDG_CONFIG_HOME/ferry/config.json`, else
 * `~/.config/ferry/config.json`; `FERRY_CONFIG_DIR` overrides), readable by its owner only
 * (0600, its directory 0700), written atomically. The profile is `--profile`, else
 * `FERRY_PROFILE`, else `default`.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './cli-command.ts';

/** What a profile holds. */
export interface Profile {
  url?: string;
  token?: string;
  /** Set when `ferry login` minted the token, so `logout` revokes it. */
  tokenId?: string;
  email?: string;
  org?: string;
  workspace?: string;
}

interface ConfigFile {
  profiles: Record<string, Profile>;
}

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** The directory of the config file. */
export function configDir(env: Readonly<Record<string, string | undefined>>): string {
  if (env.FERRY_CONFIG_DIR) return env.FERRY_CONFIG_DIR;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'ferry');
}

/** The config file's path. */
export function configPath(env: Readonly<Record<string, string | undefined>>): string {
  return join(configDir(env), 'config.json');
}

/** The profile to use: the flag, else FERRY_PROFILE, else `default`; the name is checked. */
export function profileName(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string {
  const name = flag ?? (env.FERRY_PROFILE || 'default');
  if (!PROFILE_NAME.test(name)) {
    const from = flag !== undefined ? '--profile' : 'FERRY_PROFILE';
    throw new CliError(
      'usage',
      `${from}: '${name}' is not a profile name (letters, digits, _ . -; at most 64)`,
    );
  }
  return name;
}

function readConfig(env: Readonly<Record<string, string | undefined>>): ConfigFile {
  const path = configPath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw new CliError(
      'config_unreadable',
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  try {
    const parsed = JSON.parse(text) as Partial<ConfigFile>;
    if (typeof parsed !== 'object' || parsed === null || typeof parsed.profiles !== 'object')
      throw new Error('no profiles object');
    return { profiles: { ...parsed.profiles } };
  } catch (error) {
    throw new CliError(
      'config_unreadable',
      `${path} is not a ferry config file (${(error as Error).message}); fix or delete it, then run \`ferry login\``,
    );
  }
}

/** The named profile (empty when it does not exist). */
export function readProfile(
  name: string,
  env: Readonly<Record<string, string | undefined>>,
): Profile {
  return readConfig(env).profiles[name] ?? {};
}

/** Every profile, by name. */
export function listProfiles(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, Profile> {
  return readConfig(env).profiles;
}

/** Replaces (or with undefined, removes) a profile; the file stays mode 0600. */
export function writeProfile(
  name: string,
  profile: Profile | undefined,
  env: Readonly<Record<string, string | undefined>>,
): void {
  const config = readConfig(env);
  if (profile === undefined) delete config.profiles[name];
  else config.profiles[name] = profile;
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = configPath(env);
  const temp = `${path}.${process.pid}.tmp`;
  // Created 0600 so the token is never readable by others, not even for a moment.
  writeFileSync(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
}
