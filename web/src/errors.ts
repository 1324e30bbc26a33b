import type { CombinedError } from "urql";
import { graphql } from "./graphql";

// Every failure in words a user can act on. The server's own messages are
// written for people (they name the field and the fix); transport failures
// and masked errors are translated here.

export type FieldError = { code: string; message: string; field?: string | null };

/** The error branch every mutation's result union carries: spread `...AppErrorFields` into `... on AppError`'s place. */
export const AppErrorFields = graphql(`
  fragment AppErrorFields on AppError {
    code
    message
    field
  }
`);

export function describeError(error: CombinedError | Error | null | undefined): string | null {
  if (!error) return null;
  if ("networkError" in error && error.networkError) {
    return "Cannot reach the Tuneloop server. Check your network connection; the page will try again.";
  }
  const first = "graphQLErrors" in error ? error.graphQLErrors[0] : undefined;
  if (first) {
    switch (first.extensions?.code) {
      case "UNAUTHENTICATED":
        return "You are signed out. Sign in again to continue.";
      case "FORBIDDEN":
        return "Your role does not allow this. Ask an engineer or owner of your organization.";
      case "RATE_LIMITED":
        return `${first.message} Wait a moment and try again.`;
      default:
        if (first.message === "Unexpected error.")
          return "The server hit an unexpected error. Try again; if it keeps happening, tell your administrator.";
        return first.message;
    }
  }
  return error.message.replace(/^\[(GraphQL|Network)\]\s*/, "");
}

/** The message of a typed mutation error for one form field, matching `config.rank` to `rank` too. */
export function errorFor(error: FieldError | null | undefined, ...fields: string[]): string | null {
  if (!error?.field) return null;
  const field = error.field;
  return fields.some((f) => field === f || field === `config.${f}` || field === `settings.${f}`) ? error.message : null;
}

/** A mutation result union: the AppError branch, if that is what came back. */
export function appErrorOf(result: { __typename?: string } | null | undefined): FieldError | null {
  return result && result.__typename === "AppError" ? (result as unknown as FieldError) : null;
}

/**
 * A mutation's outcome as an error to show, or null when it worked: its
 * AppError, else a raised error (with its code and field), else a failure to reach the server.
 */
export function mutationError(
  response: { data?: Record<string, unknown> | null; error?: CombinedError },
  field: string,
): FieldError | null {
  const payload = response.data?.[field] as { __typename?: string } | undefined;
  const appError = appErrorOf(payload);
  if (appError) return appError;
  if (payload) return null;
  const raised = response.error?.graphQLErrors[0]?.extensions;
  return {
    code: String(raised?.code ?? "NETWORK"),
    message: describeError(response.error) ?? "That did not work. Try again.",
    field: (raised?.field as string | undefined) ?? null,
  };
}
