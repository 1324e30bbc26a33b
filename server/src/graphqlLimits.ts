import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import {
  GraphQLError,
  getArgumentValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import { DEFAULT_MAX_POINTS } from "./metrics/service.js";

// What one GraphQL request may ask for, over HTTP and graphql-ws alike (both
// go through Yoga's envelop). Every refusal is a GraphQL error with a code and
// HTTP 400, before any resolver runs.
export const GRAPHQL_LIMITS = {
  /** Nesting of selections (the SPA's deepest operation has 6). */
  depth: 12,
  /** Aliased fields in one operation. */
  aliases: 30,
  /** Lexical tokens of the document (the SPA's longest operation has under 150). */
  tokens: 3000,
  /** Directives (@include, @skip…) in one operation. */
  directives: 30,
  /** Estimated cost, see operationCost. */
  cost: 20_000,
} as const;

/** Largest JSON request body (uploads are multipart and have their own cap). */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

type LimitCode =
  | "QUERY_TOO_DEEP"
  | "TOO_MANY_ALIASES"
  | "TOO_MANY_TOKENS"
  | "TOO_MANY_DIRECTIVES"
  | "QUERY_TOO_COSTLY"
  | "REQUEST_TOO_LARGE";

function limitError(code: LimitCode, message: string, status = 400) {
  // spec: false, or Yoga answers 200 to clients that accept application/json (as the GraphQL over HTTP spec allows).
  return new GraphQLError(message, { extensions: { code, http: { status, spec: false } } });
}

// graphql-armor's rejections read "Syntax Error: Query depth limit of 12 exceeded, found 50."
const refuseWith = (code: LimitCode) => ({
  propagateOnRejection: false,
  onReject: [
    (context: ValidationContext | null, error: GraphQLError) =>
      context?.reportError(limitError(code, error.message.replace(/^Syntax Error: /, ""))),
  ],
});

/**
 * Pages and lists: a connection costs its page size (the relay plugin's default
 * 20 and maximum 100) times its nodes; any other list is counted as 10 items.
 */
const DEFAULT_PAGE = 20;
const MAX_PAGE = 100;
const LIST_GUESS = 10;

/** Fields whose work is not the size of what they return. */
const FIELD_COSTS: Record<string, (args: Record<string, any>) => number> = {
  // Two generations on the engine shared by every organization.
  "Query.playground": () => 5000,
  // Points read (and downsampled) per series.
  "TrainingJob.metricSeries": (args) => (args.names?.length ?? 1) * Math.ceil((args.maxPoints ?? DEFAULT_MAX_POINTS) / 10),
  // Reads the dataset's stored preview.
  "Dataset.preview": (args) => 50 + 10 * (args.first ?? 3),
};

function listSize(args: Record<string, any>, returnsConnection: boolean, isList: boolean): number {
  const requested = args.first ?? args.last;
  if (typeof requested === "number") return Math.min(Math.max(requested, 0), MAX_PAGE);
  if (returnsConnection) return DEFAULT_PAGE;
  return isList ? LIST_GUESS : 1;
}

/**
 * Every field costs 1 (or its entry in FIELD_COSTS) plus what it selects,
 * times the items it returns. Computed with the request's variables, which is
 * why it runs at execution rather than as a (cached) validation rule.
 */
function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): number {
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  const costOf = (selectionSet: SelectionSetNode, parent: GraphQLObjectType, insideConnection: boolean): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind !== Kind.FIELD) {
        const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection;
        if (!fragment) continue;
        const type = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : parent;
        // A fragment on an interface or union: priced as the parent type.
        total += costOf(fragment.selectionSet, isObjectType(type) ? type : parent, insideConnection);
        continue;
      }
      const field = parent.getFields()[selection.name.value];
      if (!field) continue; // __typename and introspection
      const args = getArgumentValues(field, selection, variables);
      const own = FIELD_COSTS[`${parent.name}.${field.name}`]?.(args) ?? 1;
      const type = getNamedType(field.type);
      // A scalar, or a union or interface (mutation results, small): the field alone.
      if (!selection.selectionSet || !isObjectType(type)) {
        total += own;
        continue;
      }
      const returnsConnection = type.name.endsWith("Connection");
      // A connection's edges and nodes are its page, already counted.
      const items =
        insideConnection && (field.name === "edges" || field.name === "nodes")
          ? 1
          : listSize(args, returnsConnection, isListType(getNullableType(field.type)));
      total += own + items * costOf(selection.selectionSet, type, returnsConnection);
    }
    return total;
  };
  const root = schema.getRootType(operation.operation);
  return root ? costOf(operation.selectionSet, root, false) : 0;
}

/** Refuses an operation whose cost is over the limit; returns null when it may run. */
function costRefusal(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Record<string, unknown> | null | undefined,
) {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName
    ? operations.find((o) => o.name?.value === operationName)
    : operations.length === 1
      ? operations[0]
      : undefined;
  if (!operation) return null; // execution reports the missing operation
  const variables = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {});
  if (variables.errors) return null; // execution reports the bad variables
  const cost = operationCost(schema, document, operation, variables.coerced);
  if (cost <= GRAPHQL_LIMITS.cost) return null;
  return {
    errors: [
      limitError(
        "QUERY_TOO_COSTLY",
        `Query cost limit of ${GRAPHQL_LIMITS.cost} exceeded, found ${cost}. Ask for fewer items or split the query.`,
      ),
    ],
  };
}

/** Reads a request body, stopping as soon as it passes `limit` bytes. */
async function readWithin(request: Request, limit: number): Promise<Blob> {
  const reader = request.body!.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    size += chunk.value.byteLength;
    if (size > limit) {
      await reader.cancel();
      const error = limitError("REQUEST_TOO_LARGE", `The request body is larger than ${limit} bytes`, 413);
      // The rest of the body is not read: the client must not send its next request on this connection.
      (error.extensions.http as { headers?: Record<string, string> }).headers = { connection: "close" };
      throw error;
    }
    chunks.push(chunk.value);
  }
  return new Blob(chunks as BlobPart[]);
}

/**
 * JSON bodies stop at MAX_JSON_BODY_BYTES while they are read. Multipart
 * uploads are left to Yoga's maxRequestBodySize (the upload cap), which also
 * counts while the stream is read.
 */
function jsonBodyCap(): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      if (!requestParser || !request.body || request.headers.get("content-type")?.startsWith("multipart/")) return;
      setRequestParser(async (req) =>
        requestParser(
          new fetchAPI.Request(req.url, { method: req.method, headers: req.headers, body: await readWithin(req, MAX_JSON_BODY_BYTES) }),
        ),
      );
    },
  };
}

/** The limits as Yoga plugins: graphql-armor for the shape of the document, operationCost for its work. */
export function graphqlLimitPlugins(): Plugin[] {
  return [
    jsonBodyCap(),
    EnvelopArmorPlugin({
      maxDepth: { n: GRAPHQL_LIMITS.depth, ...refuseWith("QUERY_TOO_DEEP") },
      maxAliases: { n: GRAPHQL_LIMITS.aliases, ...refuseWith("TOO_MANY_ALIASES") },
      maxDirectives: { n: GRAPHQL_LIMITS.directives, ...refuseWith("TOO_MANY_DIRECTIVES") },
      // Counted while parsing, so the parse stops at the limit (there is no validation context yet).
      maxTokens: {
        n: GRAPHQL_LIMITS.tokens,
        onReject: [
          () => {
            throw limitError("TOO_MANY_TOKENS", `Token limit of ${GRAPHQL_LIMITS.tokens} exceeded.`);
          },
        ],
      },
      // Its cost ignores variables and field weights: operationCost replaces it.
      costLimit: { enabled: false },
      // The schema is public (schema.graphql, introspection): suggestions help more than they reveal.
      blockFieldSuggestion: { enabled: false },
    }) as Plugin,
    {
      // Yoga answers parse errors with 200 to clients that accept application/json (as the GraphQL
      // over HTTP spec allows); the token limit is a refusal like the others: 400 for every client.
      onResultProcess({ result }) {
        if (Array.isArray(result) || !("errors" in result)) return;
        for (const error of result.errors ?? []) {
          const http = error.extensions?.http as { spec?: boolean } | undefined;
          if (error.extensions?.code === "TOO_MANY_TOKENS" && http) http.spec = false;
        }
      },
      onExecute({ args, setResultAndStopExecution }) {
        const refusal = costRefusal(args.schema, args.document, args.operationName, args.variableValues);
        if (refusal) setResultAndStopExecution(refusal);
      },
      onSubscribe({ args, setResultAndStopExecution }) {
        const refusal = costRefusal(args.schema, args.document, args.operationName, args.variableValues);
        if (refusal) setResultAndStopExecution(refusal);
      },
    },
  ];
}
