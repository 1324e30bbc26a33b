import { parseArgs } from "node:util";
import { readConfig } from "../config.js";
import { createDb } from "../db/client.js";
import { migrateDatabase } from "../db/migrate.js";
import { AppError } from "../errors.js";
import { createSetupLink } from "../members/account.js";

type Out = (text: string) => void;

export const SETUP_USAGE =
  "setup --org NAME --email ADDRESS   on the server's machine: a one-time link that creates the first organization and its admin";

/**
 * `tuneloop setup`: run where the server runs (same DATABASE_URL / DATA_DIR).
 * It opens the database itself, since no API key can exist before the first
 * organization. TUNELOOP_URL (or PUBLIC_URL) is the address the link points to.
 */
export async function runSetup(args: string[], env: NodeJS.ProcessEnv, out: Out, err: Out): Promise<number> {
  const { values } = parseArgs({ args, options: { org: { type: "string" }, email: { type: "string" } } });
  if (!values.org || !values.email) {
    err(`usage: tuneloop ${SETUP_USAGE}`);
    return 2;
  }
  const config = readConfig(env);
  await migrateDatabase(config.databaseUrl);
  const { db } = createDb(config.databaseUrl);
  try {
    const link = await createSetupLink({ db, config }, { orgName: values.org, email: values.email }, env.TUNELOOP_URL);
    if (!link) {
      err("This server already has an organization: invite people from Settings → Members.");
      return 1;
    }
    out(
      `Open this one-time link to create ${values.org} and its admin ${values.email} (valid 24 hours; earlier setup links stop working):\n  ${link}`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    err(`error ${error.code}: ${error.message}`);
    return 1;
  } finally {
    await db.$disconnect();
  }
}
