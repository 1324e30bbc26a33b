import { builder } from "../builder.js";
import { requireTrainerOf } from "../workers/service.js";
import { artifactDownloadUrl, publicBaseUrl, storeArtifact } from "./service.js";

builder.prismaObject("Download", {
  description: "One download of an artifact: the audit trail of deliveries.",
  fields: (t) => ({
    id: t.exposeID("id"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    user: t.prismaField({
      type: "User",
      nullable: true,
      description: "Who downloaded it; null for a trainer fetching a checkpoint to resume from.",
      resolve: (query, download, _args, ctx) =>
        download.userId ? ctx.db.user.findUnique({ ...query, where: { id: download.userId } }) : null,
    }),
  }),
});

builder.prismaObject("Artifact", {
  description: "A file a trainer produced for a job: the adapter, its config, a checkpoint, metrics.",
  fields: (t) => ({
    id: t.exposeID("id"),
    kind: t.exposeString("kind", { description: "adapter_model, adapter_config, checkpoint, metrics, training_log or evaluation." }),
    name: t.exposeString("name"),
    sizeBytes: t.exposeInt("sizeBytes"),
    sha256: t.exposeString("sha256"),
    contentType: t.exposeString("contentType"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    downloadUrl: t.string({
      description: "A link that downloads the file for 24 hours, made for the caller; each download is recorded.",
      resolve: (artifact, _args, ctx) =>
        artifactDownloadUrl(
          ctx,
          publicBaseUrl(ctx, (ctx as { request?: Request }).request),
          artifact.id,
          ctx.viewer?.kind === "user" ? ctx.viewer.userId : null,
        ),
    }),
    downloads: t.relation("downloads", { authScopes: { user: true }, query: { orderBy: { createdAt: "desc" } } }),
  }),
});

builder.prismaObjectField("TrainingJob", "artifacts", (t) =>
  t.relation("artifacts", {
    description: "Files the trainer uploaded, oldest first.",
    query: { orderBy: [{ createdAt: "asc" }, { id: "asc" }] },
  }),
);

builder.mutationFields((t) => ({
  uploadArtifact: t.prismaField({
    type: "Artifact",
    description: "A trainer uploads a file of its job (GraphQL multipart request). Sending the same file again returns the first record.",
    errors: { result: { name: "UploadArtifactSuccess" } },
    authScopes: { trainer: true },
    args: { jobId: t.arg.id({ required: true }), kind: t.arg.string({ required: true }), file: t.arg({ type: "Upload", required: true }) },
    resolve: (_query, _root, { jobId, kind, file }, ctx) => {
      requireTrainerOf(ctx.viewer, String(jobId));
      return storeArtifact(ctx, String(jobId), kind, file);
    },
  }),
}));
