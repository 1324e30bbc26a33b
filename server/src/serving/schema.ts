import { builder } from "../builder.js";
import { playground } from "./service.js";

type Generated = { text: string; promptTokens: number; completionTokens: number; finishReason: string };

const GeneratedText = builder.objectRef<Generated>("GeneratedText").implement({
  fields: (t) => ({
    text: t.exposeString("text"),
    promptTokens: t.exposeInt("promptTokens"),
    completionTokens: t.exposeInt("completionTokens"),
    finishReason: t.exposeString("finishReason", { description: "stop (the model ended its turn) or length (max tokens reached)." }),
  }),
});

const PlaygroundResult = builder.objectRef<Awaited<ReturnType<typeof playground>>>("PlaygroundResult").implement({
  description: "The same prompt answered by the base model and by the adapted model.",
  fields: (t) => ({
    prompt: t.exposeString("prompt"),
    base: t.field({ type: GeneratedText, resolve: (r) => r.base }),
    adapted: t.field({ type: GeneratedText, resolve: (r) => r.adapted }),
    settings: t.field({ type: "JSON", resolve: (r) => r.settings }),
  }),
});

const GenerationOptionsInput = builder.inputType("GenerationOptions", {
  fields: (t) => ({
    maxNewTokens: t.int({ description: "1–256, default 64." }),
    temperature: t.float({ description: "0 (greedy, the default) to 2." }),
    topK: t.int({ description: "Sample among the k most likely tokens; 0 (default) for all." }),
    seed: t.int(),
  }),
});

builder.queryFields((t) => ({
  playground: t.withAuth({ user: true }).field({
    type: PlaygroundResult,
    description: "Inference playground: a prompt answered by the base and the adapted model of a job or a model version.",
    args: {
      jobId: t.arg.id(),
      modelVersionId: t.arg.id(),
      prompt: t.arg.string({ required: true }),
      system: t.arg.string({ description: "An optional system message." }),
      options: t.arg({ type: GenerationOptionsInput }),
    },
    resolve: (_root, args, ctx) =>
      playground(
        ctx,
        ctx.viewer,
        {
          ...args,
          jobId: args.jobId ? String(args.jobId) : null,
          modelVersionId: args.modelVersionId ? String(args.modelVersionId) : null,
        },
        // Aborted when the client disconnects: its queued generations are dropped.
        (ctx as { request?: Request }).request?.signal,
      ),
  }),
}));
