// Large text values (the JSON documents of a group commit) as SQL literals written in one pass.
// mysql2's escaper walks a string character by character and splits it at every `"`, of which
// JSON has many, although inside single quotes a `"` needs no escape; the text it builds is
// then flattened again to be encoded. Here one native regex scan finds the few characters that
// do need one. The escapes are the backslash ones mysql2 itself writes (connect.ts keeps
// NO_BACKSLASH_ESCAPES off for every connection, which both rely on).

/** The characters a single-quoted literal escapes: the quote and the backslash must be; NUL, CR, LF and Ctrl-Z are, as mysql_real_escape_string does, so that logs and tools see none raw. */
const SPECIAL = /[\0\n\r\x1a'\\]/g;

const ESCAPES: Record<string, string> = { '\0': '\\0', '\n': '\\n', '\r': '\\r', '\x1a': '\\Z', "'": "\\'", '\\': '\\\\' };

const escapeChar = (c: string): string => ESCAPES[c]!;

/** A string value mysql2 puts into the query text as the literal this writes (its `toSqlString`). */
export class SqlText {
  constructor(readonly value: string) {}

  toSqlString(): string {
    return `'${this.value.replace(SPECIAL, escapeChar)}'`;
  }
}
