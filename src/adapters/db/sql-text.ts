// Large text values (the JSON documents of a group commit) as SQL literals. mysql2's escaper
// walks a string character by character and splits it at every `"`, of which JSON has many,
// although inside single quotes a `"` needs no escape; the pieces are then flattened again to be
// encoded. A JSON document usually holds none of the characters a single-quoted literal must
// escape: one native regex scan finds that out and the text goes in as it is. Text that has one
// is escaped by mysql2 itself, as any other value. Both rely on backslash escapes (connect.ts
// keeps NO_BACKSLASH_ESCAPES off for every connection).
import { escape, format, type SqlValue } from 'mysql2';

/**
 * The characters mysql2 escapes that change a single-quoted literal or that tools should not see
 * raw (NUL, LF, CR, Ctrl-Z); the others it escapes (`"`, tab, backspace) stand for themselves.
 */
const NEEDS_ESCAPE = /[\0\n\r\x1a'\\]/;

/** A string value mysql2 puts into the query text as the literal this writes (its `toSqlString`). */
export class SqlText {
  constructor(readonly value: string) {}

  toSqlString(): string {
    return NEEDS_ESCAPE.test(this.value) ? escape(this.value) : `'${this.value}'`;
  }
}

/** An SQL expression with `?` placeholders, put into the query text as mysql2 formats it. */
export class SqlFragment {
  constructor(
    readonly text: string,
    readonly values: SqlValue[],
  ) {}

  toSqlString(): string {
    return format(this.text, this.values);
  }
}
