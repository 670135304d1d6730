/**
 * The worker's boot script, carried in each node's user-data (POSIX sh). It:
 * 1. picks the worker bundle for the machine's real architecture (`uname -m`), pinned here by
 *    version and sha256;
 * 2. uses a preinstalled worker of exactly that version and architecture (a custom image,
 *    `/opt/ferry/worker/BUNDLE`), or downloads the bundle from the control plane with the
 *    bootstrap token (zstd-compressed when the machine has zstd, else gzip), refuses it
 *    unless its sha256 matches the pin, and unpacks it;
 * 3. starts the worker: as a systemd service when the service manager ran the script (cloud-init
 *    on a stock image; the worker powers the machine off when done), in the foreground
 *    otherwise (the script's process is the machine; the worker's exit ends it).
 * The bootstrap token is one-time: the first register call trades it for a node token, so
 * reading the user-data later gains nothing. Nothing here depends on where the node runs.
 */

/** Machine architectures ferry ships worker bundles for (EC2's names). */
export const BUNDLE_ARCHITECTURES = ['x86_64', 'arm64'] as const;
/** A machine architecture of a worker bundle. */
export type BundleArchitecture = (typeof BUNDLE_ARCHITECTURES)[number];

/** Where a custom image keeps a preinstalled worker (its `BUNDLE` file names version and arch). */
export const PREINSTALLED_WORKER_DIR = '/opt/ferry/worker';

/** The path (under the control plane's URL) that serves worker bundles. */
export const WORKER_BUNDLE_ROUTE = '/worker/bundles';

/** The header the boot script sends its bootstrap token in when it downloads the bundle. */
export const BOOTSTRAP_TOKEN_HEADER = 'x-ferry-bootstrap-token';

/**
 * How a bundle's tar is compressed. The boot script takes zstd when the machine has it
 * (about four times less CPU to unpack than gzip, and smaller), else gzip, which every image
 * has; the same content is built in both.
 */
export const BUNDLE_CODECS = ['zstd', 'gzip'] as const;
/** A bundle's compression. */
export type BundleCodec = (typeof BUNDLE_CODECS)[number];

const EXTENSION: Record<BundleCodec, string> = { zstd: 'tar.zst', gzip: 'tar.gz' };

/** The file name of a bundle. */
export function workerBundleFile(
  version: string,
  arch: BundleArchitecture,
  codec: BundleCodec,
): string {
  return `ferry-worker-${version}-linux-${arch}.${EXTENSION[codec]}`;
}

/** The content of a bundle's `BUNDLE` file (and of a preinstalled worker's). */
export function workerBundleMarker(version: string, arch: BundleArchitecture): string {
  return `${version} ${arch}`;
}

/** One architecture's bundle as the boot script pins it (each codec's file), or why there is none. */
export type PinnedBundle =
  { readonly sha256: Readonly<Record<BundleCodec, string>> } | { readonly missing: string };

/** The bundle a node's boot script installs. */
export interface WorkerBundlePin {
  readonly version: string;
  readonly architectures: Readonly<Record<BundleArchitecture, PinnedBundle>>;
}

/** What a node's boot script carries. */
export interface WorkerBootstrap {
  readonly controlPlaneUrl: string;
  readonly clusterId: string;
  readonly bootstrapToken: string;
  /**
   * How the worker is started once installed, run by sh with the bundle's `bin` first on
   * PATH (default `ferry-worker`); an `env VAR=value …` prefix passes test knobs.
   */
  readonly workerCommand: string;
  readonly heartbeatSeconds: number;
  readonly idleTimeoutMins: number;
  readonly bundle: WorkerBundlePin;
}

/** The environment variables the worker reads, by name. */
export const WORKER_ENV = {
  controlPlaneUrl: 'FERRY_CONTROL_PLANE_URL',
  clusterId: 'FERRY_CLUSTER_ID',
  bootstrapToken: 'FERRY_BOOTSTRAP_TOKEN',
  heartbeatSeconds: 'FERRY_HEARTBEAT_SECONDS',
  idleTimeoutMins: 'FERRY_IDLE_TIMEOUT_MINS',
  /** `poweroff` or `exit`, set by the boot script (a `--shutdown` flag wins). */
  shutdown: 'FERRY_WORKER_SHUTDOWN',
} as const;

/** Single-quotes a value for sh (`'` becomes `'\''`). */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

const SHA256 = /^[0-9a-f]{64}$/;
const VERSION = /^[0-9A-Za-z.+-]{1,64}$/;

function oneLine(name: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new Error(`${name} must be a single line`);
  return value;
}

/** The shell `case` arm of one architecture: set what to fetch, or fail naming what is missing. */
function archArm(patterns: string, arch: BundleArchitecture, pin: WorkerBundlePin): string[] {
  const p = pin.architectures[arch];
  if ('missing' in p) {
    return [
      `  ${patterns})`,
      `    fail ${shellQuote(`no worker bundle for ${arch} in this boot script: ${oneLine('missing', p.missing)}`)} ;;`,
    ];
  }
  for (const codec of BUNDLE_CODECS)
    if (!SHA256.test(p.sha256[codec]))
      throw new Error(`bundle sha256 (${codec}) for ${arch} must be 64 hex digits`);
  return [
    `  ${patterns})`,
    `    arch=${arch}`,
    `    zsha=${p.sha256.zstd}; zfile=${shellQuote(workerBundleFile(pin.version, arch, 'zstd'))}`,
    `    gsha=${p.sha256.gzip}; gfile=${shellQuote(workerBundleFile(pin.version, arch, 'gzip'))} ;;`,
  ];
}

/** The user-data script (plain text; EC2 wants it base64-encoded in the launch template). */
export function workerUserData(b: WorkerBootstrap): string {
  if (!VERSION.test(b.bundle.version)) throw new Error('bundle version is malformed');
  const env: [string, string][] = [
    [WORKER_ENV.controlPlaneUrl, b.controlPlaneUrl.replace(/\/+$/, '')],
    [WORKER_ENV.clusterId, b.clusterId],
    [WORKER_ENV.bootstrapToken, b.bootstrapToken],
    [WORKER_ENV.heartbeatSeconds, String(b.heartbeatSeconds)],
    [WORKER_ENV.idleTimeoutMins, String(b.idleTimeoutMins)],
  ];
  const command = oneLine('workerCommand', b.workerCommand.trim());
  if (command === '') throw new Error('workerCommand must not be empty');
  const exports = env.map(([k, v]) => `export ${k}=${shellQuote(oneLine(k, v))}`);
  return [
    '#!/bin/sh',
    '# ferry worker boot script: install the pinned worker bundle, then start the worker.',
    'umask 077',
    // Each console line carries the seconds since the script started (from /proc/uptime,
    // without forking), so a slow boot shows which step took the time.
    'clock() { c=; read c _ </proc/uptime 2>/dev/null; c=${c%.*}${c#*.}; while [ "${#c}" -gt 1 ] && [ "${c#0}" != "$c" ]; do c=${c#0}; done; }',
    'clock; t0=$c',
    'say() {',
    '  clock',
    '  if [ -n "$c" ] && [ -n "$t0" ]; then d=$((c - t0)); echo "ferry-boot: [+$((d / 100)).$((d / 10 % 10))$((d % 10))s] $*"',
    '  else echo "ferry-boot: $*"; fi',
    '}',
    'fail() { say "$*"; exit 1; }',
    `version=${shellQuote(b.bundle.version)}`,
    'machine=$(uname -m)',
    'case "$machine" in',
    ...archArm('x86_64|amd64', 'x86_64', b.bundle),
    ...archArm('aarch64|arm64', 'arm64', b.bundle),
    '  *)',
    `    fail "no worker bundle for machine architecture $machine" ;;`,
    'esac',
    // zstd unpacks with about a quarter of gzip's CPU; gzip is on every image.
    'if command -v zstd >/dev/null 2>&1; then',
    '  file=$zfile; sha=$zsha; unpack="zstd -dcq"',
    'else',
    '  file=$gfile; sha=$gsha; unpack="gzip -dc"',
    'fi',
    // The service manager ran us (cloud-init under systemd): install a service. Otherwise this
    // process stands for the machine, so the worker runs in it and its exit ends it.
    'if [ "$(id -u)" = 0 ] && [ -d /run/systemd/system ] && [ -n "${INVOCATION_ID:-}" ] && command -v systemctl >/dev/null 2>&1; then',
    '  mode=service; home=/var/lib/ferry; shutdown=poweroff',
    'else',
    '  mode=foreground; home="${HOME:-$PWD}/.ferry"; shutdown=exit',
    'fi',
    'mkdir -p "$home" || fail "cannot create $home"',
    `cat > "$home/worker.env" <<'FERRY_ENV'`,
    ...exports,
    'FERRY_ENV',
    '. "$home/worker.env"',
    `if [ "$(cat ${PREINSTALLED_WORKER_DIR}/BUNDLE 2>/dev/null)" = "$version $arch" ]; then`,
    `  dir=${PREINSTALLED_WORKER_DIR}`,
    '  say "using the preinstalled worker $version ($arch) in $dir"',
    'else',
    '  dir="$home/worker/$version-$arch"',
    '  if [ "$(cat "$dir/BUNDLE" 2>/dev/null)" != "$version $arch" ]; then',
    `    url="$FERRY_CONTROL_PLANE_URL${WORKER_BUNDLE_ROUTE}/$file"`,
    '    say "downloading $file"',
    '    tmp="$home/download.$$"',
    `    printf '%s\\n' "${BOOTSTRAP_TOKEN_HEADER}: $FERRY_BOOTSTRAP_TOKEN" > "$tmp.header"`,
    '    n=0',
    '    until',
    '      if command -v curl >/dev/null 2>&1; then curl -fsS -H "@$tmp.header" -o "$tmp" "$url"',
    `      else wget -q --header="${BOOTSTRAP_TOKEN_HEADER}: $FERRY_BOOTSTRAP_TOKEN" -O "$tmp" "$url"; fi`,
    '    do',
    '      n=$((n + 1))',
    '      [ "$n" -ge 10 ] && { rm -f "$tmp" "$tmp.header"; fail "could not download $url"; }',
    '      sleep "$n"',
    '    done',
    '    rm -f "$tmp.header"',
    // OpenSSL hashes with the CPU's SHA instructions (~7x faster than coreutils here).
    '    if command -v openssl >/dev/null 2>&1; then got=$(openssl dgst -sha256 -r "$tmp" | cut -d" " -f1)',
    '    else got=$(sha256sum "$tmp" | cut -d" " -f1); fi',
    '    if [ "$got" != "$sha" ]; then',
    '      rm -f "$tmp"',
    '      fail "refusing to start the worker: $file has sha256 $got, the boot script pins $sha"',
    '    fi',
    '    say "verified $file (sha256 $got)"',
    '    rm -rf "$dir.partial" && mkdir -p "$dir.partial" || fail "cannot create $dir.partial"',
    // A decompressor's failure must fail the unpack too (sh has no pipefail).
    '    rm -f "$tmp.bad"',
    '    if ! { $unpack "$tmp" || : >"$tmp.bad"; } | tar -xf - -C "$dir.partial" || [ -e "$tmp.bad" ]; then',
    '      rm -rf "$tmp" "$tmp.bad" "$dir.partial"; fail "cannot unpack $file"',
    '    fi',
    '    rm -f "$tmp"; rm -rf "$dir"; mv "$dir.partial" "$dir" || fail "cannot install $dir"',
    '    say "installed the worker $version ($arch) in $dir"',
    '  fi',
    'fi',
    'cat >> "$home/worker.env" <<FERRY_ENV',
    'export PATH="$dir/bin:$PATH"',
    `export ${WORKER_ENV.shutdown}=$shutdown`,
    'FERRY_ENV',
    `cat > "$home/start-worker" <<'FERRY_START'`,
    '#!/bin/sh',
    '. "$(dirname "$0")/worker.env"',
    `exec ${command}`,
    'FERRY_START',
    'chmod 700 "$home/start-worker"',
    'if [ "$mode" = service ]; then',
    '  cat > /etc/systemd/system/ferry-worker.service <<FERRY_UNIT',
    '[Unit]',
    'Description=ferry worker agent',
    'Wants=network-online.target',
    'After=network-online.target',
    '[Service]',
    'ExecStart=$home/start-worker',
    // A second start would present a used-up bootstrap token: the worker ends the node instead.
    'Restart=no',
    '[Install]',
    'WantedBy=multi-user.target',
    'FERRY_UNIT',
    '  systemctl daemon-reload && systemctl enable ferry-worker.service && systemctl start --no-block ferry-worker.service || fail "cannot start ferry-worker.service"',
    '  say "started ferry-worker.service"',
    '  exit 0',
    'fi',
    'say "starting the worker in the foreground"',
    'exec "$home/start-worker"',
    '',
  ].join('\n');
}
