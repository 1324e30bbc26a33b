import pg from "pg";

// The databases of tests and benches: SQLite files by default, PostgreSQL when
// TEST_POSTGRES_URL is set (the suite runs once each way in CI).
export const usingPostgres = () => Boolean(process.env.TEST_POSTGRES_URL);

/** A new, empty PostgreSQL database on `adminUrl`'s server (TEST_POSTGRES_URL's by default), and the way to drop it. */
export async function freshPostgresUrl(adminUrl = process.env.TEST_POSTGRES_URL!): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `tuneloop_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(`CREATE DATABASE "${name}"`);
  await client.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}
