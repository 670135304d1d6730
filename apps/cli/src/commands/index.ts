/**
 * The commands of `ferry`, in help order. Add a command: one file in this folder exporting a
 * CliCommand, and one line here.
 */
import type { CliCommand } from '../cli-command.ts';
import { computeCommand } from './compute.ts';
import { demoCommand } from './demo.ts';
import { platformInitCommand } from './platform-init.ts';
import { queryCommand } from './query.ts';
import { serverCommand } from './server.ts';
import { templateCommand } from './template.ts';

export const COMMANDS: readonly CliCommand[] = [
  computeCommand,
  demoCommand,
  platformInitCommand,
  queryCommand,
  serverCommand,
  templateCommand,
];
