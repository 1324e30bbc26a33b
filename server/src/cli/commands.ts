import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { type ApiClient, CliError } from "./client.js";
import { num, pct, table } from "./format.js";
import { SETUP_USAGE } from "./setup.js";

type Out = (text: string) => void;
type Command = { usage: string; run(api: ApiClient, args: string[], out: Out, json: boolean): Promise<void> };

const BENCHMARKS = "perplexityBase perplexityAdapted perplexityImprovementPct retentionPct reviewImprovementPct brandVoicePct";
const VERSION = `id version status createdAt deployedAt endpoint requestCount notes job { id name } benchmarks { ${BENCHMARKS} }
  gates { gate passed message } events { action reason createdAt actor { email } }`;

const emit = (out: Out, json: boolean, value: unknown, text: () => string) => out(json ? JSON.stringify(value, null, 2) : text());

async function findVersion(api: ApiClient, name: string, version: string) {
  const model = await api.request(`query($n:String!){ model(name:$n){ name versions { ${VERSION} } } }`, { n: name });
  if (!model) throw new CliError(`No model named ${name}`, "NOT_FOUND");
  const found = version === "latest" ? model.versions[0] : model.versions.find((v: any) => v.version === version);
  if (!found)
    throw new CliError(
      `${name} has no version ${version}; it has ${model.versions.map((v: any) => v.version).join(", ") || "none"}`,
      "NOT_FOUND",
    );
  return found;
}

function versionText(name: string, v: any): string {
  const b = v.benchmarks;
  return [
    `${name} ${v.version}  ${v.status}${v.endpoint ? `  ${v.endpoint}` : ""}`,
    `job: ${v.job.name} (${v.job.id})`,
    `perplexity ${num(b.perplexityBase)} -> ${num(b.perplexityAdapted)} (${pct(b.perplexityImprovementPct)} better), retention ${pct(b.retentionPct)}, review ${pct(b.reviewImprovementPct)}, brand voice ${pct(b.brandVoicePct)}`,
    `requests served: ${v.requestCount}`,
    "gates:",
    ...v.gates.map((g: any) => `  ${g.passed ? "pass" : "FAIL"}  ${g.message}`),
    "history:",
    ...v.events.map((e: any) => `  ${e.createdAt}  ${e.action}${e.reason ? ` (${e.reason})` : ""}  ${e.actor?.email ?? ""}`),
  ].join("\n");
}

const EXPORT_KINDS: Record<string, string> = {
  adapter: "ADAPTER_ZIP",
  package: "DEPLOYMENT_PACKAGE",
  "metrics-csv": "METRICS_CSV",
  "metrics-json": "METRICS_JSON",
};

export const COMMANDS: Record<string, Command> = {
  jobs: {
    usage: "jobs [--status COMPLETED] [--search words] [--limit 25]   list training jobs",
    async run(api, args, out, json) {
      const { values } = parseArgs({
        args,
        options: { status: { type: "string", multiple: true }, search: { type: "string" }, limit: { type: "string", default: "25" } },
      });
      const filter = {
        ...(values.status && { status: values.status.map((s) => s.toUpperCase()) }),
        ...(values.search && { search: values.search }),
      };
      const jobs = await api.request(
        `query($f:JobFilter,$n:Int){ jobs(filter:$f, first:$n){ edges { node { id name status progress actualCostUsd createdAt latestPerplexity } } } }`,
        { f: filter, n: Number(values.limit) },
      );
      const rows = jobs.edges.map((e: any) => e.node);
      emit(out, json, rows, () =>
        table(
          ["ID", "NAME", "STATUS", "PROGRESS", "COST", "PERPLEXITY"],
          rows.map((j: any) => [
            j.id,
            j.name,
            j.status,
            `${j.progress.toFixed(0)}%`,
            `$${j.actualCostUsd.toFixed(2)}`,
            num(j.latestPerplexity),
          ]),
        ),
      );
    },
  },
  models: {
    usage: "models [--search words]   list registered models and their newest version",
    async run(api, args, out, json) {
      const { values } = parseArgs({ args, options: { search: { type: "string" } } });
      const models = await api.request(`query($s:String){ models(search:$s){ name description versions { version status } } }`, {
        s: values.search ?? null,
      });
      emit(out, json, models, () =>
        table(
          ["NAME", "LATEST", "STATUS", "VERSIONS", "DESCRIPTION"],
          models.map((m: any) => [m.name, m.versions[0]?.version, m.versions[0]?.status, m.versions.length, m.description]),
        ),
      );
    },
  },
  model: {
    usage: "model NAME [VERSION|latest]   a model's versions, or one version's benchmarks, gates and history",
    async run(api, args, out, json) {
      const [name, version] = args;
      if (!name) throw new CliError("usage: model NAME [VERSION]", "VALIDATION");
      if (version) {
        const v = await findVersion(api, name, version);
        return emit(out, json, v, () => versionText(name, v));
      }
      const model = await api.request(`query($n:String!){ model(name:$n){ name description versions { ${VERSION} } } }`, { n: name });
      if (!model) throw new CliError(`No model named ${name}`, "NOT_FOUND");
      emit(
        out,
        json,
        model,
        () =>
          `${model.name}${model.description ? ` — ${model.description}` : ""}\n` +
          table(
            ["VERSION", "STATUS", "PERPLEXITY GAIN", "RETENTION", "REQUESTS", "ENDPOINT"],
            model.versions.map((v: any) => [
              v.version,
              v.status,
              pct(v.benchmarks.perplexityImprovementPct),
              pct(v.benchmarks.retentionPct),
              v.requestCount,
              v.endpoint,
            ]),
          ),
      );
    },
  },
  compare: {
    usage: "compare NAME VERSION VERSION [VERSION…]   versions side by side",
    async run(api, args, out, json) {
      const [name, ...versions] = args;
      if (!name || versions.length < 2) throw new CliError("usage: compare NAME VERSION VERSION [VERSION…]", "VALIDATION");
      const ids = await Promise.all(versions.map(async (v) => (await findVersion(api, name, v)).id));
      const list = await api.request(
        `query($ids:[ID!]!){ compareModelVersions(ids:$ids){ version status benchmarks { ${BENCHMARKS} } } }`,
        { ids },
      );
      const row = (label: string, f: (v: any) => string) => [label, ...list.map(f)];
      emit(out, json, list, () =>
        table(
          ["", ...list.map((v: any) => v.version)],
          [
            row("status", (v) => v.status),
            row("perplexity base", (v) => num(v.benchmarks.perplexityBase)),
            row("perplexity adapted", (v) => num(v.benchmarks.perplexityAdapted)),
            row("perplexity gain", (v) => pct(v.benchmarks.perplexityImprovementPct)),
            row("knowledge retention", (v) => pct(v.benchmarks.retentionPct)),
            row("review improvement", (v) => pct(v.benchmarks.reviewImprovementPct)),
            row("brand voice", (v) => pct(v.benchmarks.brandVoicePct)),
          ],
        ),
      );
    },
  },
  deploy: {
    usage: 'deploy NAME VERSION [--override "reason"]   serve a version (owners may override failed gates)',
    async run(api, args, out, json) {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { override: { type: "string" } } });
      const [name, version] = positionals;
      if (!name || !version) throw new CliError("usage: deploy NAME VERSION [--override reason]", "VALIDATION");
      const found = await findVersion(api, name, version);
      const v = await api.request(
        `mutation($id:ID!,$o:String){ deployModelVersion(id:$id, overrideReason:$o){ __typename ... on AppError { code message field } ... on DeployModelVersionSuccess { data { ${VERSION} } } } }`,
        { id: found.id, o: values.override ?? null },
      );
      emit(out, json, v, () => `Deployed ${name} ${v.version}: POST ${v.endpoint}`);
    },
  },
  search: {
    usage: "search WORDS   jobs and models matching the words",
    async run(api, args, out, json) {
      const words = args.join(" ").trim();
      if (!words) throw new CliError("usage: search WORDS", "VALIDATION");
      const [jobs, models] = await Promise.all([
        api.request(`query($s:String!){ jobs(filter:{search:$s}, first:20){ edges { node { id name status } } } }`, { s: words }),
        api.request(`query($s:String!){ models(search:$s){ name versions { version status } } }`, { s: words }),
      ]);
      const hits = [
        ...models.map((m: any) => ({ kind: "model", id: m.name, name: m.name, status: m.versions[0]?.status ?? "" })),
        ...jobs.edges.map((e: any) => ({ kind: "job", ...e.node })),
      ];
      emit(out, json, hits, () =>
        hits.length
          ? table(
              ["KIND", "ID", "NAME", "STATUS"],
              hits.map((h) => [h.kind, h.id, h.name, h.status]),
            )
          : `Nothing matches "${words}"`,
      );
    },
  },
  export: {
    usage: "export JOB_ID [--kind adapter|package|metrics-csv|metrics-json] [--out FILE]   download a completed job's files",
    async run(api, args, out, json) {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { kind: { type: "string", default: "adapter" }, out: { type: "string" } },
      });
      const kind = EXPORT_KINDS[values.kind!];
      if (!positionals[0] || !kind)
        throw new CliError(`usage: export JOB_ID [--kind ${Object.keys(EXPORT_KINDS).join("|")}] [--out FILE]`, "VALIDATION");
      const link = await api.request(
        `mutation($j:ID!,$k:DeliveryKind!){ createDownloadLink(jobId:$j, kind:$k){ __typename ... on AppError { code message field } ... on CreateDownloadLinkSuccess { data { url expiresAt artifact { name sizeBytes sha256 } } } } }`,
        { j: positionals[0], k: kind },
      );
      const file = values.out ?? link.artifact.name;
      await writeFile(file, await api.download(link.url));
      emit(out, json, { file, ...link.artifact }, () => `Saved ${file} (${link.artifact.sizeBytes} bytes, sha256 ${link.artifact.sha256})`);
    },
  },
};

export function help(): string {
  return [
    "tuneloop — command-line client for the Tuneloop API",
    "",
    "Environment: TUNELOOP_API_KEY (required), TUNELOOP_URL (default http://127.0.0.1:4000)",
    "Add --json to any command for machine-readable output.",
    "",
    ...Object.values(COMMANDS).map((c) => `  tuneloop ${c.usage}`),
    `  tuneloop ${SETUP_USAGE}`,
  ].join("\n");
}
