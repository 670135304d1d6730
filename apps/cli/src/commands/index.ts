/**
 * The commands of `ferry`, in help order. Add a command: one file in this folder exporting a
 * CliCommand, and one line here.
 */
import type { CliCommand } from '../cli-command.ts';
import { auditCommand } from './audit.ts';
import { computeCommand } from './compute.ts';
import { connectionCommand } from './connection.ts';
import { demoCommand } from './demo.ts';
import { ingestCommand } from './ingest.ts';
import { loginCommand } from './login.ts';
import { orgCommand } from './org.ts';
import { platformInitCommand } from './platform-init.ts';
import { queryCommand } from './query.ts';
import { serverCommand } from './server.ts';
import { serviceAccountCommand } from './service-account.ts';
import { templateCommand } from './template.ts';
import { tokenCommand } from './token.ts';
import { workspaceCommand } from './workspace.ts';

export const COMMANDS: readonly CliCommand[] = [
  loginCommand,
  tokenCommand,
  orgCommand,
  workspaceCommand,
  serviceAccountCommand,
  computeCommand,
  connectionCommand,
  ingestCommand,
  auditCommand,
  demoCommand,
  platformInitCommand,
  queryCommand,
  serverCommand,
  templateCommand,
];
