import { defaultFieldResolver, GraphQLObjectType, type GraphQLSchema } from "graphql";
import { getDatamodel } from "../generated/pothos-types.js";
import type { Context } from "../context.js";
import { AppError } from "../errors.js";

const confined = new WeakSet<GraphQLSchema>();

/**
 * A job token (a trainer's) reaches its own job and the records that belong to
 * it (those with its jobId), nothing else: not another job through `retryOf`,
 * not a user through `createdBy`, not the dataset or the organization. Every
 * field of a type backed by a database model checks the row it is read from.
 */
export function confineJobTokens(schema: GraphQLSchema): GraphQLSchema {
  if (confined.has(schema)) return schema; // each app of a process (tests start many) shares the one schema
  confined.add(schema);
  const models = getDatamodel().datamodel.models;
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(type instanceof GraphQLObjectType) || !models[type.name]) continue;
    const jobIdOf =
      type.name === "TrainingJob"
        ? (row: { id?: string }) => row.id
        : models[type.name].fields.some((f) => f.name === "jobId")
          ? (row: { jobId?: string }) => row.jobId
          : null;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (row, args, context: Context, info) => {
        if (context.viewer?.kind === "trainer" && (!jobIdOf || jobIdOf(row) !== context.viewer.jobId)) {
          throw new AppError("FORBIDDEN", "A job token reads only its own job");
        }
        return resolve(row, args, context, info);
      };
    }
  }
  return schema;
}
