import SchemaBuilder from "@pothos/core";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import ErrorsPlugin from "@pothos/plugin-errors";
import SimpleObjectsPlugin from "@pothos/plugin-simple-objects";
import { DateTimeResolver, JSONResolver } from "graphql-scalars";
import type PrismaTypes from "./generated/pothos-types.js";
import { getDatamodel } from "./generated/pothos-types.js";
import type { Context, TrainerContext, UserContext } from "./context.js";
import type { Role } from "./generated/sqlite/enums.js";
import { AppError } from "./errors.js";
import { viewerHasScope } from "./auth/service.js";
import { roleAllows } from "./auth/permissions.js";

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
    Upload: { Input: File; Output: never };
  };
  AuthScopes: { user: boolean; role: Role[]; trainer: boolean; jobToken: boolean; worker: boolean };
  // A resolver behind a scope (t.withAuth) gets the caller typed: a user, or a job's trainer.
  AuthContexts: { user: UserContext; role: UserContext; trainer: TrainerContext; jobToken: TrainerContext; worker: UserContext };
  DefaultFieldNullability: false;
}>({
  plugins: [ScopeAuthPlugin, ErrorsPlugin, SimpleObjectsPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    unauthorizedError: (_parent, context, _info, result) =>
      context.viewer
        ? new AppError("FORBIDDEN", "Your role does not allow this action").toGraphQLError()
        : new AppError("UNAUTHENTICATED", result.message || "Sign in or send an API key").toGraphQLError(),
    authScopes: (context) => ({
      // Read access: any user credential with the read (or write) scope.
      user: viewerHasScope(context.viewer, "read") || viewerHasScope(context.viewer, "write"),
      // Changes: the role must allow it and an API key must carry the write scope.
      role: (roles) => roleAllows(context.viewer, roles),
      // A job's own trainer, while its worker holds the job's lease (not after the job ended or was taken back).
      trainer: context.viewer?.kind === "trainer" && context.viewer.holdsLease,
      // A job token of any state (the lease is not required): what may claim its job and hear, by heartbeat, that it ended.
      jobToken: context.viewer?.kind === "trainer",
      // Claiming jobs: only an API key made with the worker scope (never a browser session).
      worker: viewerHasScope(context.viewer, "worker"),
    }),
  },
  errors: { defaultTypes: [AppError] },
  prisma: {
    client: (context) => context.db,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
  relay: { clientMutationId: "omit", cursorType: "String" },
});

builder.addScalarType("DateTime", DateTimeResolver);
builder.addScalarType("JSON", JSONResolver);
builder.scalarType("Upload", {
  serialize: () => {
    throw new Error("Upload is an input-only scalar");
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

export const ErrorCodeEnum = builder.enumType("ErrorCode", {
  values: [
    "VALIDATION",
    "NOT_FOUND",
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "CONFLICT",
    "INVALID_TRANSITION",
    "DATASET_INVALID",
    "BUDGET_EXCEEDED",
    "APPROVAL_REQUIRED",
    "RATE_LIMITED",
    "BUSY",
    "UNAVAILABLE",
    "QUALITY_GATE_FAILED",
  ] as const,
});

builder.objectType(AppError, {
  name: "AppError",
  description: "A refused request: what went wrong (code), in words (message), and which input field caused it.",
  fields: (t) => ({
    code: t.field({ type: ErrorCodeEnum, resolve: (e) => e.code }),
    message: t.exposeString("message"),
    field: t.string({ nullable: true, resolve: (e) => e.field }),
  }),
});
