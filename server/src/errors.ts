import { GraphQLError } from "graphql";

// The typed errors every domain uses. Mutations return them in their result
// union (AppError | …Success); queries raise them as GraphQL errors with
// extensions { code, field }.
export type ErrorCode =
  | "VALIDATION"
  | "NOT_FOUND"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "CONFLICT"
  | "INVALID_TRANSITION"
  | "DATASET_INVALID"
  | "BUDGET_EXCEEDED"
  | "APPROVAL_REQUIRED"
  | "RATE_LIMITED"
  | "BUSY"
  | "QUALITY_GATE_FAILED";

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
    this.name = "AppError";
  }

  toGraphQLError(): GraphQLError {
    return new GraphQLError(this.message, { extensions: { code: this.code, field: this.field } });
  }
}

export const notFound = (what: string, field = "id") => new AppError("NOT_FOUND", `${what} not found`, field);
