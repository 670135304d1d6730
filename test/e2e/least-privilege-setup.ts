/**
 * vitest global setup of the least-privilege check: gives the run a journal directory, and
 * once every test file ended compares what ferry was allowed during the end-to-end suite
 * with the permission registry (`least-privilege.ts`). The check needs the whole suite: when
 * some end-to-end file did not run or failed it says so and checks nothing; otherwise a
 * mismatch fails the run.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { JOURNAL_SUFFIX, type JournalEntry } from './fixtures/aws-journal.ts';
import { compareWithRegistry, describeReport } from './least-privilege.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where each end-to-end test file appends the (role, action) pairs ferry was allowed. */
    ferryAwsJournalDir: string;
  }
}

const E2E_DIR = dirname(fileURLToPath(import.meta.url));

/** Reads every test file's journal in `dir`. */
export async function readJournal(dir: string): Promise<JournalEntry[]> {
  const entries: JournalEntry[] = [];
  for (const name of await readdir(dir)) {
    if (!name.endsWith(JOURNAL_SUFFIX)) continue;
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) {
      if (line.trim()) entries.push(JSON.parse(line) as JournalEntry);
    }
  }
  return entries;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-aws-journal-'));
  project.provide('ferryAwsJournalDir', dir);
  return async () => {
    try {
      const suite = (await readdir(E2E_DIR)).filter((f) => f.endsWith('.test.ts'));
      const ran = new Map(
        project.vitest.state
          .getFiles()
          .filter((f) => dirname(resolve(f.filepath)) === E2E_DIR)
          .map((f) => [f.filepath.slice(E2E_DIR.length + 1), f.result?.state]),
      );
      if (ran.size === 0) return;
      const incomplete = suite.filter((f) => ran.get(f) !== 'pass');
      if (incomplete.length > 0) {
        console.log(
          `least privilege: not checked, the end-to-end suite did not fully run and pass (${incomplete.join(', ')})`,
        );
        return;
      }
      const report = compareWithRegistry(await readJournal(dir));
      const lines = describeReport(report);
      console.log(lines.join('\n'));
      if (!report.ok) throw new Error(`least privilege does not hold:\n${lines.join('\n')}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}
