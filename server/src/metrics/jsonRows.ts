import { Prisma } from "../generated/sqlite/client.js";
import type { DbProvider } from "../db/client.js";

// Many rows as ONE parameter: a JSON array of arrays, unpacked by the database.
// Prisma 6.19 spends ~10–40 µs on each bound parameter (and may round the last
// binary digit of a float on the way), so a batch of 1,000 points as 6,000
// parameters costs tens of milliseconds where one JSON string costs a few.
// The two databases unpack JSON differently; this is the only dialect switch.

export type ColumnType = "text" | "integer" | "float";
const PG_TYPE: Record<ColumnType, Prisma.Sql> = {
  text: Prisma.raw("text"),
  integer: Prisma.raw("integer"),
  float: Prisma.raw("double precision"),
};

/** `SELECT … FROM <rows>`: the rows as a table whose columns are named and typed as given. */
export function selectJsonRows(provider: DbProvider, columns: [name: string, type: ColumnType][], rows: unknown[][]): Prisma.Sql {
  const json = JSON.stringify(rows);
  const fields = columns.map(([name, type], i) =>
    provider === "postgres"
      ? Prisma.sql`(j.value ->> ${Prisma.raw(String(i))})::${PG_TYPE[type]} AS ${Prisma.raw(`"${name}"`)}`
      : Prisma.sql`j.value ->> ${Prisma.raw(String(i))} AS ${Prisma.raw(`"${name}"`)}`,
  );
  const source =
    provider === "postgres" ? Prisma.sql`jsonb_array_elements(${json}::jsonb) AS j(value)` : Prisma.sql`json_each(${json}) AS j`;
  return Prisma.sql`SELECT ${Prisma.join(fields)} FROM ${source}`;
}
