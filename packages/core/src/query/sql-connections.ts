/**
 * Reads through data connections: `connection('sales', 'events/*.parquet')` in SQL, and
 * the path a scan names under a connection (`scanConnection(ctx, 'sales', 'events/*.parquet')`
 * in the SDK). polars SQL has no such table function, so the worker replaces each call by a
 * table it registers (a Parquet scan under the connection's bucket and prefix, read with the
 * connection's session) before planning; the SDK reads the names to put in the envelope.
 */

/** A malformed call (the shape of a plan-safety violation). */
export interface SqlConnectionViolation {
  readonly code: 'malformed_connection_call' | 'path_outside_connection';
  readonly path: string;
  readonly message: string;
}

/** One `connection('name', 'path')` call of a SQL text, with where it stands. */
export interface SqlConnectionCall {
  readonly name: string;
  readonly path: string;
  /** Offsets of the call in the text (`connection` … `)`), end exclusive. */
  readonly start: number;
  readonly end: number;
}

/**
 * Why a path cannot be read under a connection, or null. A path is relative to the
 * connection's prefix: no scheme, no leading `/`, no `..` segment (the session would refuse
 * it anyway; this names the mistake before anything runs).
 */
export function connectionPathProblem(path: string): string | null {
  if (path === '') return 'is empty; name a key or a pattern under the connection';
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(path))
    return 'is a URL; name a key or a pattern relative to the connection (e.g. events/*.parquet)';
  if (path.startsWith('/')) return 'starts with /; keys are relative to the connection';
  if (path.split('/').some((segment) => segment === '..' || segment === '.'))
    return 'has a . or .. segment; a connection reads only under its own prefix';
  return null;
}

interface Token {
  readonly kind: 'word' | 'string' | 'punct';
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** SQL tokens, skipping comments (positions kept so calls can be replaced in place). */
function tokens(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql.charAt(i);
    if (c === '-' && sql.charAt(i + 1) === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (c === '/' && sql.charAt(i + 1) === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      let text = '';
      let j = i + 1;
      while (j < sql.length) {
        if (sql.charAt(j) === c) {
          if (sql.charAt(j + 1) === c) {
            text += c;
            j += 2;
            continue;
          }
          break;
        }
        text += sql.charAt(j);
        j += 1;
      }
      out.push({ kind: c === "'" ? 'string' : 'word', text, start: i, end: j + 1 });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < sql.length && /[A-Za-z0-9_$]/.test(sql.charAt(j))) j += 1;
      out.push({ kind: 'word', text: sql.slice(i, j), start: i, end: j });
      i = j;
    } else if (/\s/.test(c)) {
      i += 1;
    } else {
      out.push({ kind: 'punct', text: c, start: i, end: i + 1 });
      i += 1;
    }
  }
  return out;
}

/**
 * Every `connection('name', 'path')` call of a SQL text, or the violations of malformed
 * ones (two string literals are required: the connection's name and a path under it).
 */
export function sqlConnectionCalls(sql: string): {
  calls: SqlConnectionCall[];
  violations: SqlConnectionViolation[];
} {
  const toks = tokens(sql);
  const calls: SqlConnectionCall[] = [];
  const violations: SqlConnectionViolation[] = [];
  for (let t = 0; t < toks.length; t++) {
    const tok = toks[t]!;
    // A quoted identifier "connection" is a name, not the function.
    if (tok.kind !== 'word' || sql.charAt(tok.start) === '"') continue;
    if (tok.text.toLowerCase() !== 'connection' || toks[t + 1]?.text !== '(') continue;
    const at = `sql.connection[${calls.length + violations.length}]`;
    const [name, comma, path, close] = [toks[t + 2], toks[t + 3], toks[t + 4], toks[t + 5]];
    if (
      name?.kind !== 'string' ||
      comma?.text !== ',' ||
      path?.kind !== 'string' ||
      close?.text !== ')'
    ) {
      violations.push({
        code: 'malformed_connection_call',
        path: at,
        message:
          "connection(…) takes two string literals: the connection's name and a path under it, e.g. connection('sales', 'events/*.parquet')",
      });
      continue;
    }
    const problem = connectionPathProblem(path.text);
    if (problem !== null) {
      violations.push({
        code: 'path_outside_connection',
        path: `${at}.path`,
        message: `${JSON.stringify(path.text)} ${problem}`,
      });
      continue;
    }
    calls.push({ name: name.text, path: path.text, start: tok.start, end: close.end });
    t += 5;
  }
  return { calls, violations };
}

/** The text with each call replaced by `replacement(call, index)` (e.g. a table's name). */
export function replaceSqlConnectionCalls(
  sql: string,
  calls: readonly SqlConnectionCall[],
  replacement: (call: SqlConnectionCall, index: number) => string,
): string {
  let out = '';
  let from = 0;
  calls.forEach((call, i) => {
    out += sql.slice(from, call.start) + replacement(call, i);
    from = call.end;
  });
  return out + sql.slice(from);
}

/** `s3://bucket/prefix` + a path relative to the connection. */
export function connectionLocation(
  target: { readonly bucket: string; readonly prefix: string },
  path: string,
): string {
  return `s3://${target.bucket}/${target.prefix}${path}`;
}
