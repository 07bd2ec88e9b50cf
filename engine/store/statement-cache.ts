// Prepared statements made once per connection and SQL text: the record tables write at every commit.
import type { Connection } from './llm-records.js';

export type Statement = ReturnType<Connection['prepare']>;

/** A function that prepares each SQL text once on `db` and hands back the same statement after. */
export function statementCache(db: Connection): (sql: string) => Statement {
  const prepared = new Map<string, Statement>();
  return (sql) => {
    let s = prepared.get(sql);
    if (s === undefined) prepared.set(sql, (s = db.prepare(sql)));
    return s;
  };
}
