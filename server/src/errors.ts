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
  | "UNAVAILABLE"
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

/** A unique constraint refused the write (Prisma's P2002, on SQLite and PostgreSQL alike). */
export const isUniqueViolation = (error: unknown) => (error as { code?: unknown } | null)?.code === "P2002";

/**
 * Runs a write that a concurrent request may win: a check-then-create loses the
 * race on the database's unique constraint, and the caller gets CONFLICT
 * rather than an unexpected error.
 */
export async function conflictOnDuplicate<T>(write: () => Promise<T>, message: string, field: string): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError("CONFLICT", message, field);
    throw error;
  }
}

export const notFound = (what: string, field = "id") => new AppError("NOT_FOUND", `${what} not found`, field);
