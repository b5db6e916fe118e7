// A driver that counts the statements sent through it: tests that assert an answer came from memory.
import type { SqlDriver } from '@charter/state';

/** `sql` with every query counted in `queries` (only those whose text includes `only`, when given). */
export function countingQueries(sql: SqlDriver, only?: string): { readonly sql: SqlDriver; readonly queries: number } {
  let queries = 0;
  const counting = new Proxy(sql, {
    get(target, key, receiver) {
      if (key === 'query')
        return (text: string, params?: readonly unknown[]) => {
          if (only === undefined || text.includes(only)) queries++;
          return sql.query(text, params);
        };
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  return {
    sql: counting,
    get queries() {
      return queries;
    },
  };
}
