/**
 * The control plane's settings: one table describing every setting once (its path in the
 * typed config, its flag, its environment variable and its parser), so that layering,
 * validation and error messages all come from the same place.
 */
import { z } from 'zod';

/** Log levels pino understands. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The validated, typed configuration. */
export interface Config {
  listen: { host: string; port: number };
  /** Base URL users and stacks reach the control plane at (no trailing slash). */
  publicUrl: string;
  database: {
    /** PostgreSQL connection string; when absent the embedded PGlite database is used. */
    url: string | undefined;
    /** Directory for PGlite's files and the generated secrets key. */
    dataDir: string;
    /** Pool size for PostgreSQL. */
    poolSize: number;
  };
  aws: {
    region: string;
    /** Endpoint override for every AWS client (e.g. a local cloud). */
    endpointUrl: string | undefined;
    accessKeyId: string | undefined;
    secretAccessKey: string | undefined;
    sessionToken: string | undefined;
    /** Role the platform assumes before anything else, if any. */
    roleArn: string | undefined;
    /** The platform principal customers' roles trust. */
    principalArn: string | undefined;
  };
  /** Primary secrets key (32 bytes, base64). Generated into the data dir for PGlite. */
  secretsKey: string | undefined;
  /** Earlier secrets keys still accepted for decryption during a rotation. */
  previousSecretsKeys: string[];
  log: { level: LogLevel };
  http: { bodyLimitBytes: number; shutdownGraceMs: number };
  rateLimit: { perMinute: number; nodesPerAddressPerMinute: number };
  jobs: {
    enabled: boolean;
    concurrency: number;
    pollIntervalMs: number;
    /** How long `stop()` waits for running handlers before releasing their leases. */
    shutdownGraceMs: number;
    /** How often the phone-home queue is read (0: never). */
    phoneHomeEveryMs: number;
    /** Long-poll wait of one phone-home read, seconds. */
    phoneHomeWaitSeconds: number;
    /** How often Active and Degraded workspaces are re-verified (0: never). */
    driftEveryMs: number;
    /** How often unfinished queries are swept (0: never). */
    querySweepEveryMs: number;
    /** How long a proxy query may wait for a node of its cluster to take it before it fails. */
    queryPickupTimeoutMs: number;
    /** How often old node logs and samples are purged (0: never). */
    telemetryPurgeEveryMs: number;
    /** How often every data connection is re-tested (0: never). */
    connectionRetestEveryMs: number;
    /** How often secrets not under the primary secrets key are re-encrypted (0: never). */
    secretsReencryptEveryMs: number;
    /** How often the reconciler runs (0: never). */
    reconcileEveryMs: number;
    /** How often the reaper runs (0: never). */
    reapEveryMs: number;
  };
  compute: {
    /** Lowest idle timeout a cluster may ask for (10 in production; tests go lower). */
    minIdleTimeoutMins: number;
    /** How often worker nodes heartbeat. */
    heartbeatSeconds: number;
    /**
     * How a node's boot script starts the installed worker (sh, the bundle's `bin` first on
     * PATH); an `env VAR=value …` prefix passes the worker's test knobs.
     */
    workerCommand: string;
    /** Where worker bundles are built and kept (one directory per version). */
    workerBundleDir: string;
    /** A pinned worker AMI; when absent the region's current image is looked up. */
    imageId: string | undefined;
    /** JSON file overriding or extending the shipped on-demand price table. */
    pricesFile: string | undefined;
    /** How long node logs and metric samples are kept. */
    logRetentionHours: number;
    /** Workspaces the reconciler and the reaper visit at once (each is its own account). */
    sweepConcurrency: number;
    /** How long a fresh launch may stay invisible to DescribeInstances. */
    launchGraceMs: number;
    /** How long a launched node may take to register before its cluster fails. */
    bootstrapTimeoutMs: number;
  };
}

/** How a raw string (flag or env) becomes a value before validation. */
type Kind = 'string' | 'int' | 'bool' | 'list';

/** One setting: where it lives and how it is read and checked. */
export interface SettingSpec {
  /** Dotted path in `Config` (also the key path in the config file). */
  path: string;
  /** Environment variable. */
  env: string;
  /** Long flag without dashes (camelCase key in `ConfigFlags`). */
  flag: string | undefined;
  kind: Kind;
  schema: z.ZodType;
  /** Default when no layer sets it (`undefined` = optional). */
  default?: unknown;
  /** Never printed, not even in error messages. */
  secret?: boolean;
  /**
   * Where the setting lived before it moved (file key path and env variable): still read,
   * below the new names, so existing configurations keep working.
   */
  formerly?: { path: string; env: string };
}

const port = z
  .number({ error: 'expected an integer 0-65535' })
  .int('expected an integer 0-65535')
  .min(0, 'expected an integer 0-65535')
  .max(65535, 'expected an integer 0-65535');
const positiveInt = (max: number) =>
  z
    .number({ error: `expected an integer 1-${max}` })
    .int(`expected an integer 1-${max}`)
    .min(1, `expected an integer 1-${max}`)
    .max(max, `expected an integer 1-${max}`);
/** A job's interval: 0 turns the schedule off. */
const everyMs = (max: number) =>
  z
    .number({ error: `expected an integer 0-${max}` })
    .int(`expected an integer 0-${max}`)
    .min(0, `expected an integer 0-${max}`)
    .max(max, `expected an integer 0-${max}`);
const httpUrl = z
  .string({ error: 'expected a URL' })
  .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), {
    message: 'expected an http(s) URL',
  });
const text = z.string({ error: 'expected a string' }).min(1, 'expected a non-empty string');
const arn = z
  .string({ error: 'expected an ARN' })
  .regex(/^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$/, 'expected an ARN');
/** 32 random bytes, base64 (standard or url alphabet). */
export const secretsKeySchema = z
  .string({ error: 'expected 32 bytes in base64' })
  .refine((s) => /^[A-Za-z0-9+/_-]+={0,2}$/.test(s) && Buffer.from(s, 'base64').length === 32, {
    message: 'expected 32 bytes in base64',
  });

/** Every setting the control plane reads. */
export const SETTINGS: readonly SettingSpec[] = [
  {
    path: 'listen.host',
    env: 'FERRY_LISTEN_HOST',
    flag: 'listenHost',
    kind: 'string',
    schema: text,
    default: '127.0.0.1',
  },
  {
    path: 'listen.port',
    env: 'FERRY_LISTEN_PORT',
    flag: 'listenPort',
    kind: 'int',
    schema: port,
    default: 8080,
  },
  {
    path: 'publicUrl',
    env: 'FERRY_PUBLIC_URL',
    flag: 'publicUrl',
    kind: 'string',
    schema: httpUrl,
  },
  {
    path: 'database.url',
    env: 'DATABASE_URL',
    flag: 'databaseUrl',
    kind: 'string',
    schema: z.string().refine((s) => /^postgres(ql)?:\/\//.test(s) && URL.canParse(s), {
      message: 'expected a postgres:// URL',
    }),
    secret: true,
  },
  {
    path: 'database.dataDir',
    env: 'FERRY_DATA_DIR',
    flag: 'dataDir',
    kind: 'string',
    schema: text,
    default: './.ferry/data',
  },
  {
    path: 'database.poolSize',
    env: 'FERRY_DATABASE_POOL_SIZE',
    flag: undefined,
    kind: 'int',
    schema: positiveInt(1000),
    default: 10,
  },
  {
    path: 'aws.region',
    env: 'FERRY_AWS_REGION',
    flag: 'awsRegion',
    kind: 'string',
    schema: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'expected an AWS region like us-east-1'),
    default: 'us-east-1',
  },
  {
    path: 'aws.endpointUrl',
    env: 'FERRY_AWS_ENDPOINT_URL',
    flag: 'awsEndpointUrl',
    kind: 'string',
    schema: httpUrl,
  },
  {
    path: 'aws.accessKeyId',
    env: 'FERRY_AWS_ACCESS_KEY_ID',
    flag: undefined,
    kind: 'string',
    schema: z.string().regex(/^[A-Z0-9]{16,128}$/, 'expected an AWS access key id'),
    secret: true,
  },
  {
    path: 'aws.secretAccessKey',
    env: 'FERRY_AWS_SECRET_ACCESS_KEY',
    flag: undefined,
    kind: 'string',
    schema: text,
    secret: true,
  },
  {
    path: 'aws.sessionToken',
    env: 'FERRY_AWS_SESSION_TOKEN',
    flag: undefined,
    kind: 'string',
    schema: text,
    secret: true,
  },
  {
    path: 'aws.roleArn',
    env: 'FERRY_AWS_ROLE_ARN',
    flag: 'awsRoleArn',
    kind: 'string',
    schema: arn,
  },
  {
    path: 'aws.principalArn',
    env: 'FERRY_AWS_PRINCIPAL_ARN',
    flag: 'awsPrincipalArn',
    kind: 'string',
    schema: arn,
  },
  {
    path: 'secretsKey',
    env: 'FERRY_SECRETS_KEY',
    flag: undefined,
    kind: 'string',
    schema: secretsKeySchema,
    secret: true,
  },
  {
    path: 'previousSecretsKeys',
    env: 'FERRY_PREVIOUS_SECRETS_KEYS',
    flag: undefined,
    kind: 'list',
    schema: z.array(secretsKeySchema, { error: 'expected a list of 32-byte base64 keys' }),
    default: [],
    secret: true,
  },
  {
    path: 'log.level',
    env: 'FERRY_LOG_LEVEL',
    flag: 'logLevel',
    kind: 'string',
    schema: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }),
    default: 'info',
  },
  {
    path: 'http.bodyLimitBytes',
    env: 'FERRY_BODY_LIMIT_BYTES',
    flag: undefined,
    kind: 'int',
    schema: positiveInt(100 * 1024 * 1024),
    default: 1024 * 1024,
  },
  {
    path: 'http.shutdownGraceMs',
    env: 'FERRY_SHUTDOWN_GRACE_MS',
    flag: undefined,
    kind: 'int',
    schema: positiveInt(600_000),
    default: 10_000,
  },
  {
    path: 'rateLimit.perMinute',
    env: 'FERRY_RATE_LIMIT_PER_MINUTE',
    flag: undefined,
    kind: 'int',
    schema: positiveInt(1_000_000),
    default: 600,
  },
  {
    // Worker nodes may all leave through one NAT address: their address gets a larger budget.
    path: 'rateLimit.nodesPerAddressPerMinute',
    env: 'FERRY_RATE_LIMIT_NODES_PER_ADDRESS_PER_MINUTE',
    flag: undefined,
    kind: 'int',
    schema: positiveInt(10_000_000),
    default: 20_000,
  },
  {
    path: 'jobs.enabled',
    env: 'FERRY_JOBS_ENABLED',
    flag: undefined,
    kind: 'bool',
    schema: z.boolean({ error: 'expected true or false' }),
    default: true,
  },
  {
    path: 'jobs.concurrency',
    env: 'FERRY_JOBS_CONCURRENCY',
    flag: undefined,
    kind: 'int',
    schema: positiveInt(256),
    default: 4,
  },
  {
    path: 'jobs.pollIntervalMs',
    env: 'FERRY_JOBS_POLL_INTERVAL_MS',
    flag: undefined,
    kind: 'int',
    schema: positiveInt(3_600_000),
    default: 1000,
  },
  {
    path: 'jobs.shutdownGraceMs',
    env: 'FERRY_JOBS_SHUTDOWN_GRACE_MS',
    flag: undefined,
    kind: 'int',
    schema: positiveInt(600_000),
    default: 10_000,
  },
  {
    path: 'jobs.phoneHomeEveryMs',
    env: 'FERRY_JOBS_PHONE_HOME_EVERY_MS',
    flag: undefined,
    kind: 'int',
    schema: everyMs(3_600_000),
    default: 2000,
  },
  {
    path: 'jobs.phoneHomeWaitSeconds',
    env: 'FERRY_JOBS_PHONE_HOME_WAIT_SECONDS',
    flag: undefined,
    kind: 'int',
    // SQS allows long polls of 0-20 s.
    schema: everyMs(20),
    default: 10,
  },
  {
    path: 'jobs.driftEveryMs',
    env: 'FERRY_JOBS_DRIFT_EVERY_MS',
    flag: undefined,
    kind: 'int',
    schema: everyMs(86_400_000),
    default: 900_000,
  },
  {
    path: 'jobs.querySweepEveryMs',
    env: 'FERRY_JOBS_QUERY_SWEEP_EVERY_MS',
    flag: undefined,
    kind: 'int',
    schema: everyMs(3_600_000),
    default: 10_000,
  },
  {
    // Nodes poll for work all the time: longer than a node's boot means none will take it.
    path: 'jobs.queryPickupTimeoutMs',
    env: 'FERRY_JOBS_QUERY_PICKUP_TIMEOUT_MS',
    flag: undefined,
    kind: 'int',
    schema: positiveInt(86_400_000),
    default: 600_000,
  },
  {
    path: 'jobs.telemetryPurgeEveryMs',
    env: 'FERRY_JOBS_TELEMETRY_PURGE_EVERY_MS',
    flag: undefined,
    kind: 'int',
    schema: everyMs(86_400_000),
    default: 3_600_000,
  },
  {
    path: 'jobs.connectionRetestEveryMs',
    env: 'FERRY_JOBS_CONNECTION_RETEST_EVERY_MS',
    flag: undefined,
    kind: 'int',
    schema: everyMs(7 * 86_400_000),
    default: 86_400_000,
  },
  {
    path: 'jobs.secretsReencryptEveryMs',
    env: 'FERRY_JOBS_SECRETS_REENCRYPT_EVERY_MS',
    flag: undefined,
    kind: 'int',
    schema: everyMs(86_400_000),
    default: 3_600_000,
  },
  {
    path: 'jobs.reconcileEveryMs',
    env: 'FERRY_JOBS_RECONCILE_EVERY_MS',
    flag: undefined,
    kind: 'int',
    schema: everyMs(86_400_000),
    default: 30_000,
    formerly: { path: 'compute.reconcileEveryMs', env: 'FERRY_COMPUTE_RECONCILE_EVERY_MS' },
  },
  {
    path: 'jobs.reapEveryMs',
    env: 'FERRY_JOBS_REAP_EVERY_MS',
    flag: undefined,
    kind: 'int',
    schema: everyMs(86_400_000),
    default: 60_000,
    formerly: { path: 'compute.reapEveryMs', env: 'FERRY_COMPUTE_REAP_EVERY_MS' },
  },
  {
    path: 'compute.minIdleTimeoutMins',
    env: 'FERRY_COMPUTE_MIN_IDLE_TIMEOUT_MINS',
    flag: undefined,
    kind: 'int',
    schema: positiveInt(10_080),
    default: 10,
  },
  {
    path: 'compute.heartbeatSeconds',
    env: 'FERRY_COMPUTE_HEARTBEAT_SECONDS',
    flag: undefined,
    kind: 'int',
    schema: positiveInt(3600),
    default: 15,
  },
  {
    path: 'compute.workerCommand',
    env: 'FERRY_COMPUTE_WORKER_COMMAND',
    flag: 'workerCommand',
    kind: 'string',
    schema: text,
    default: 'ferry-worker',
  },
  {
    path: 'compute.workerBundleDir',
    env: 'FERRY_COMPUTE_WORKER_BUNDLE_DIR',
    flag: 'workerBundleDir',
    kind: 'string',
    schema: text,
    default: './.ferry/worker-bundles',
  },
  {
    path: 'compute.imageId',
    env: 'FERRY_COMPUTE_IMAGE_ID',
    flag: 'imageId',
    kind: 'string',
    schema: z
      .string()
      .regex(/^ami-([0-9a-f]{8}|[0-9a-f]{17})$/, 'expected an AMI id like ami-0abc…'),
  },
  {
    path: 'compute.pricesFile',
    env: 'FERRY_COMPUTE_PRICES_FILE',
    flag: 'pricesFile',
    kind: 'string',
    schema: text,
  },
  {
    path: 'compute.logRetentionHours',
    env: 'FERRY_COMPUTE_LOG_RETENTION_HOURS',
    flag: undefined,
    kind: 'int',
    schema: positiveInt(24 * 365),
    default: 72,
  },
  {
    path: 'compute.sweepConcurrency',
    env: 'FERRY_COMPUTE_SWEEP_CONCURRENCY',
    flag: undefined,
    kind: 'int',
    schema: positiveInt(256),
    default: 16,
  },
  {
    path: 'compute.launchGraceMs',
    env: 'FERRY_COMPUTE_LAUNCH_GRACE_MS',
    flag: undefined,
    kind: 'int',
    schema: positiveInt(3_600_000),
    default: 300_000,
  },
  {
    path: 'compute.bootstrapTimeoutMs',
    env: 'FERRY_COMPUTE_BOOTSTRAP_TIMEOUT_MS',
    flag: undefined,
    kind: 'int',
    schema: positiveInt(3_600_000),
    default: 600_000,
  },
];
