import { createHash } from 'node:crypto';
import { CompiledQuery, type Kysely, type QueryResult, type RawBuilder } from 'kysely';
import type { DB } from './schema.js';

/**
 * Statements that nearly every request runs (a token's user), built once and prepared once per
 * pooled Postgres connection: Postgres then parses, analyses and (after its first few runs)
 * plans them once per connection instead of once per request, and Kysely does not build the
 * statement again either. Only statements made here are prepared, so what a connection keeps is
 * bounded by the code, not by the requests. A statement is prepared under a name made from its
 * text: a changed text is a new statement, never a clash with one a connection already holds.
 * PGlite runs them as any other statement (its dialect does not name statements).
 *
 * A prepared statement's result columns are fixed: one whose table changes underneath (a
 * migration while connections hold it) is planned again by Postgres, but fails if its columns'
 * types changed; the statements here select explicit columns of stable types.
 */

/** The names statements are prepared under, by their text (what `database.ts` looks up). */
const names = new Map<string, string>();

/** The name `text` is prepared under on a pooled connection, when it is one of the statements made here. */
export function preparedName(text: string): string | undefined {
  return names.get(text);
}

/** Stands for the `index`th argument while the statement is built. */
class Slot {
  constructor(readonly index: number) {}
}

/**
 * A statement built once from `build`, run with new arguments each time. `build` may use its
 * arguments as parameters only (interpolated values): it sees stand-ins, not the values.
 */
export class PreparedStatement<Args extends unknown[], Row> {
  private readonly text: string;
  private readonly parameters: readonly unknown[];

  constructor(
    private readonly db: Kysely<DB>,
    arity: Args['length'],
    build: (...args: Args) => RawBuilder<Row>,
  ) {
    const slots = Array.from({ length: arity }, (_, i) => new Slot(i));
    const compiled = build(...(slots as unknown as Args)).compile(db);
    for (const slot of slots) {
      if (!compiled.parameters.includes(slot)) throw new Error(`argument ${slot.index} of a prepared statement is not a parameter of it`);
    }
    this.text = compiled.sql;
    this.parameters = compiled.parameters;
    if (!names.has(this.text)) names.set(this.text, `cutroom_${createHash('sha256').update(this.text).digest('hex').slice(0, 24)}`);
  }

  execute(...args: Args): Promise<QueryResult<Row>> {
    const parameters = this.parameters.map((p) => (p instanceof Slot ? args[p.index] : p));
    return this.db.executeQuery(CompiledQuery.raw(this.text, parameters) as CompiledQuery<Row>);
  }
}
