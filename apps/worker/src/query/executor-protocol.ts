/** Messages between the worker and its executor child processes (Node IPC, advanced serialization). */
import type { QueryEngine, QueryKind, SinkFormat } from '@ferry/core';
import type { S3Access, RoleCredentials } from './cloud-options.ts';
import type { ConnectionAccess } from './connection-scans.ts';

export interface ExecJob {
  readonly queryId: string;
  readonly kind: QueryKind;
  readonly plan?: string;
  readonly sql?: string;
  readonly engine: QueryEngine;
  readonly headRows: number;
  /** The user's sink, or undefined to write the result to `resultUri` as Parquet. */
  readonly sink?: { readonly format: SinkFormat; readonly uri: string };
  readonly resultUri: string;
  readonly credentials: RoleCredentials;
  readonly access: S3Access;
  readonly maxInMemoryBytes: number;
  /** The sessions of the data connections the query reads through (this query's only). */
  readonly connections: readonly ConnectionAccess[];
}

export interface ExecPhases {
  planCheckMs?: number;
  credentialInjectionMs?: number;
  executionMs?: number;
  resultWriteMs?: number;
}

export interface ExecSuccess {
  readonly rowCount: number | null;
  readonly schema: { name: string; dtype: string }[] | null;
  readonly head: Uint8Array | null;
  readonly headRows: number;
  readonly optimizedPlan: string | null;
  readonly engine: 'streaming' | 'in-memory';
  readonly phases: ExecPhases;
  readonly location: string;
  /**
   * The full result is still being written to `location`: `written` or `write-failed`
   * follows. The head is sent first so the client need not wait for the write.
   */
  readonly writing: boolean;
}

export interface ExecFailure {
  readonly code: string;
  readonly message: string;
  readonly details?: { path: string; message: string }[];
  readonly optimizedPlan: string | null;
  readonly phases: ExecPhases;
}

export type ToExecutor = { readonly type: 'run'; readonly job: ExecJob };
export type FromExecutor =
  | { readonly type: 'ready'; readonly polarsVersion: string }
  | { readonly type: 'done'; readonly queryId: string; readonly result: ExecSuccess }
  | { readonly type: 'failed'; readonly queryId: string; readonly error: ExecFailure }
  | { readonly type: 'written'; readonly queryId: string; readonly resultWriteMs: number }
  | {
      readonly type: 'write-failed';
      readonly queryId: string;
      readonly message: string;
      readonly resultWriteMs: number;
    };
