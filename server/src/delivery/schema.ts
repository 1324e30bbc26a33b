import { builder } from "../builder.js";
import { publicBaseUrl } from "../artifacts/service.js";
import { DELIVERY_KINDS, deliveryLink, type DeliveryKind } from "./service.js";

const DeliveryKindEnum = builder.enumType("DeliveryKind", {
  values: {
    ADAPTER_ZIP: { value: "adapter_zip", description: "adapter_model.safetensors, adapter_config.json and README.txt" },
    DEPLOYMENT_PACKAGE: {
      value: "deployment_package",
      description: "Adapter, base model, inference.py (transformers + peft), requirements.txt, README.md, example_prompts.json",
    },
    METRICS_CSV: { value: "metrics_csv", description: "Every metric point: name, step, value, epoch, wall_time" },
    METRICS_JSON: { value: "metrics_json", description: "Every metric series as JSON" },
  } as const,
});

const DownloadLink = builder.objectRef<Awaited<ReturnType<typeof deliveryLink>>>("DownloadLink").implement({
  description: "A signed link that downloads a file for 24 hours; each download is recorded with who made the link.",
  fields: (t) => ({
    kind: t.field({ type: DeliveryKindEnum, resolve: (l) => l.kind }),
    url: t.exposeString("url"),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
    artifact: t.prismaField({
      type: "Artifact",
      resolve: (query, l, _args, ctx) => ctx.db.artifact.findUniqueOrThrow({ ...query, where: { id: l.artifact.id } }),
    }),
  }),
});

builder.mutationFields((t) => ({
  createDownloadLink: t.withAuth({ user: true }).field({
    type: DownloadLink,
    description: "A 24-hour signed link to a completed job's adapter ZIP, deployment package or metrics (built on first request).",
    errors: { result: { name: "CreateDownloadLinkSuccess" } },
    args: { jobId: t.arg.id({ required: true }), kind: t.arg({ type: DeliveryKindEnum, required: true }) },
    resolve: (_root, { jobId, kind }, ctx) =>
      deliveryLink(ctx, ctx.viewer, String(jobId), kind as DeliveryKind, publicBaseUrl(ctx, (ctx as { request?: Request }).request)),
  }),
}));

builder.prismaObjectField("TrainingJob", "deliveries", (t) =>
  t.relation("artifacts", {
    description: "The job's delivery files built so far (adapter ZIP, deployment package, metrics), each with its downloads.",
    query: { where: { kind: { in: Object.keys(DELIVERY_KINDS) } }, orderBy: { createdAt: "asc" } },
  }),
);

builder.prismaObjectField("Artifact", "downloadCount", (t) =>
  t.relationCount("downloads", { description: "How many times the file was downloaded." }),
);
