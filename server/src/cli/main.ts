import { ApiClient, CliError, type Env } from "./client.js";
import { COMMANDS, help } from "./commands.js";
import { runSetup } from "./setup.js";

/** Runs one CLI invocation; returns the exit code. */
export async function runCli(argv: string[], env: Env, out: (text: string) => void, err: (text: string) => void): Promise<number> {
  const json = argv.includes("--json");
  const [name, ...args] = argv.filter((a) => a !== "--json");
  if (!name || name === "help" || name === "--help" || name === "-h") {
    out(help());
    return name ? 0 : 2;
  }
  if (name === "setup") return runSetup(args, env as NodeJS.ProcessEnv, out, err);
  const command = COMMANDS[name];
  if (!command) {
    err(`Unknown command "${name}".\n\n${help()}`);
    return 2;
  }
  try {
    await command.run(new ApiClient(env), args, out, json);
    return 0;
  } catch (error) {
    if (
      !(error instanceof CliError) &&
      !(error instanceof TypeError && /parseArgs|ERR_PARSE_ARGS/.test(String((error as { code?: string }).code)))
    )
      throw error;
    err(`error ${(error as CliError).code ?? "ERROR"}: ${(error as Error).message}`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await runCli(
    process.argv.slice(2),
    process.env,
    (t) => console.log(t),
    (t) => console.error(t),
  );
}
