/**
 * Data connections as the SDK shows them: its own declarations, so the published package's
 * types reference nothing unpublished. `connections.ts` passes them to and from the API's
 * contract, so the compiler says when the two drift apart.
 */

/** What an S3 connection reaches. */
export interface S3ConnectionTarget {
  readonly type: 's3';
  readonly bucket: string;
  /** Bounds what the connection may read (a folder, ending in `/`); the whole bucket when absent. */
  readonly prefix?: string | undefined;
  /** Where the connection may write (a folder); read-only when absent. */
  readonly writePrefix?: string | undefined;
  readonly region: string;
}

/** What a Kinesis connection reaches: a stream by name or ARN. */
export interface KinesisConnectionTarget {
  readonly type: 'kinesis';
  readonly stream: string;
  readonly region: string;
}

/** What a connection reaches, as given to `prepareConnection`, `testConnection` and `createConnection`. */
export type ConnectionTarget = S3ConnectionTarget | KinesisConnectionTarget;

/** Long-term access keys (S3 only, not recommended). */
export interface ConnectionAccessKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** How ferry authenticates: the data owner's role with the external ID `prepareConnection` reserved, or access keys. */
export type ConnectionAuth =
  | { readonly kind: 'role'; readonly roleArn: string; readonly externalId: string }
  | ({ readonly kind: 'accessKeys' } & ConnectionAccessKeys);

/** A connection's state: Verified (its last test passed), Unverified (saved untested), Failing. */
export type ConnectionState = 'Verified' | 'Unverified' | 'Failing';

/** One check of a connection test. */
export interface ConnectionCheck {
  readonly name: string;
  readonly outcome: 'pass' | 'fail' | 'skipped';
  /** The IAM action the check needs, when it calls one. */
  readonly action: string | null;
  readonly awsErrorCode: string | null;
  readonly message: string;
  /** On a failed permission: the statement of the connection's policy that grants it. */
  readonly missingStatement: Readonly<Record<string, unknown>> | null;
}

/** A connection test's answer. */
export interface ConnectionTest {
  readonly ok: boolean;
  readonly testedAt: string;
  readonly checks: readonly ConnectionCheck[];
}

/** The policies the data owner copies (the trust parts are null for access keys). */
export interface ConnectionPolicies {
  /** ferry's platform principal, named by the trust policy. */
  readonly principalArn: string | null;
  readonly externalId: string | null;
  /** The suggested role name (`ferry-<name>`). */
  readonly roleName: string | null;
  readonly trustPolicy: Readonly<Record<string, unknown>> | null;
  readonly permissionsPolicy: Readonly<Record<string, unknown>>;
  readonly cloudFormationTemplate: Readonly<Record<string, unknown>> | null;
  /** The `aws iam create-role …` command for the data owner. */
  readonly createRoleCommand: string | null;
}

/** What a saved connection reaches. */
export type ConnectionTargetView =
  | {
      readonly type: 's3';
      readonly bucket: string;
      readonly prefix: string | null;
      readonly writePrefix: string | null;
      readonly region: string;
    }
  | {
      readonly type: 'kinesis';
      readonly stream: string;
      readonly streamArn: string | null;
      readonly region: string;
    };

/** How a saved connection authenticates: never the keys themselves. */
export type ConnectionAuthView =
  | { readonly kind: 'role'; readonly roleArn: string; readonly externalId: string }
  | {
      readonly kind: 'accessKeys';
      /** The last four characters of the key id. */
      readonly accessKeyIdHint: string;
      readonly notRecommended: true;
      readonly warning: string;
    };

/** A saved connection. */
export interface DataConnection {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly description: string;
  readonly target: ConnectionTargetView;
  readonly auth: ConnectionAuthView;
  readonly state: ConnectionState;
  /** Why it is Failing or Unverified. */
  readonly stateReason: string | null;
  readonly lastTest: ConnectionTest | null;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A saved connection with the policies to copy. */
export interface DataConnectionDetail extends DataConnection {
  readonly policies: ConnectionPolicies;
}

/** What `prepareConnection` takes. */
export interface PrepareConnectionInput {
  readonly target: ConnectionTarget;
  /** Names the suggested role (`ferry-<name>`). */
  readonly name?: string | undefined;
  /** The data owner's account: needed for a Kinesis stream given by name. */
  readonly accountId?: string | undefined;
}

/** What `prepareConnection` answers: the reserved external ID inside the policies. */
export interface PreparedConnection {
  readonly workspaceId: string;
  readonly policies: ConnectionPolicies;
}

/** What `createConnection` takes. */
export interface CreateConnectionInput {
  /** Unique in the workspace, immutable; lower-case letters, digits, `-` and `_`. */
  readonly name: string;
  readonly description?: string | undefined;
  readonly target: ConnectionTarget;
  readonly auth: ConnectionAuth;
  /** Save without a passing test: the connection is then Unverified. */
  readonly skipTest?: boolean | undefined;
}
