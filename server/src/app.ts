import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createYoga, maskError } from "graphql-yoga";
import { GraphQLError } from "graphql";
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import { GRAPHIQL_DEFAULT_HEADERS, GRAPHIQL_DEFAULT_QUERY } from "./graphiql.js";
import { WebSocketServer } from "ws";
import { useServer } from "graphql-ws/use/ws";
import sirv from "sirv";
import { existsSync } from "node:fs";
import type { ServerConfig } from "./config.js";
import type { AppServices, Context } from "./context.js";
import { createDb } from "./db/client.js";
import { migrateDatabase } from "./db/migrate.js";
import { createAppPubSub } from "./pubsub.js";
import { schema } from "./schema.js";
import { resolveViewer } from "./auth/service.js";
import { clientAddressOf } from "./auth/clientAddress.js";
import { watchRevocations } from "./auth/liveConnections.js";
import { confineJobTokens } from "./auth/jobTokenReach.js";
import { MAX_SUBSCRIPTIONS_PER_CONNECTION, subscriptionGuard } from "./subscriptions/guard.js";
import { AppError } from "./errors.js";
import { seedDemo } from "./seed.js";
import { httpRoutes } from "./routes.js";
import { startBackgroundTasks } from "./background.js";
import { RateLimits } from "./rateLimits.js";
import { InferenceBackends } from "./serving/backends.js";
import { serverKeys } from "./serverKeys.js";
import { loadGpuCatalog } from "./costs/catalog.js";
import { createStorage } from "./artifacts/storage.js";
import { ComputeProviders } from "./compute/providers.js";
import { graphqlLimitPlugins, MAX_JSON_BODY_BYTES } from "./graphqlLimits.js";
import { CredentialCache } from "./auth/credentialCache.js";
import { DeploymentCache } from "./serving/deploymentCache.js";
import { UsageCounter } from "./serving/usageCounter.js";

export type App = {
  services: AppServices;
  /** Base URL once started, e.g. http://127.0.0.1:4000 */
  url: string;
  start(port?: number): Promise<string>;
  stop(): Promise<void>;
};

/** A route outside GraphQL (webhooks, downloads). Returns true when it handled the request. */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse, services: AppServices) => Promise<boolean>;

export async function buildApp(config: ServerConfig): Promise<App> {
  await migrateDatabase(config.databaseUrl);
  const { db, provider } = createDb(config.databaseUrl);
  const pubsub = createAppPubSub(config.redisUrl);
  const keys = serverKeys(config);
  const gpus = loadGpuCatalog(config.gpuCatalogFile);
  const services: AppServices = {
    db,
    provider,
    pubsub,
    config,
    keys,
    gpus,
    storage: createStorage(config),
    rateLimits: new RateLimits(config),
    inference: new InferenceBackends(config),
    compute: new ComputeProviders(config, keys.computeSecrets, gpus),
    credentials: new CredentialCache(db, pubsub),
    deployments: new DeploymentCache(db, pubsub),
    usage: new UsageCounter(db),
  };
  if (config.seedDemo) await seedDemo(services);

  const yoga = createYoga<{ req?: IncomingMessage; connectionParams?: Record<string, unknown> }, Context>({
    schema: confineJobTokens(schema),
    graphqlEndpoint: "/graphql",
    renderGraphiQL,
    graphiql: {
      title: "Tuneloop GraphQL",
      subscriptionsProtocol: "WS",
      defaultQuery: GRAPHIQL_DEFAULT_QUERY,
      headers: GRAPHIQL_DEFAULT_HEADERS,
    },
    logging: config.logLevel === "silent" ? false : config.logLevel,
    plugins: [...graphqlLimitPlugins(), subscriptionGuard()],
    // Multipart uploads stop at the upload cap while they are read (JSON bodies have their own, smaller cap).
    maxRequestBodySize: config.uploadMaxBytes + MAX_JSON_BODY_BYTES,
    maskedErrors: {
      // Our typed errors reach the client with their code and field; anything else is masked.
      maskError: (error, message, isDev) => {
        const original = (error as { originalError?: unknown }).originalError;
        if (original instanceof AppError) return original.toGraphQLError();
        return maskError(error, message, isDev);
      },
    },
    context: async ({ request, connectionParams, req }) => {
      const fromParams = connectionParams?.authorization ?? connectionParams?.Authorization;
      const authorization = typeof fromParams === "string" ? fromParams : (request?.headers.get("authorization") ?? null);
      return { ...services, authorization, clientAddress: clientAddressOf(req, config), viewer: await resolveViewer(db, authorization) };
    },
  });

  const serveWeb = config.webDist && existsSync(config.webDist) ? sirv(config.webDist, { single: true, etag: true }) : null;
  const server: Server = createServer(async (req, res) => {
    try {
      for (const route of httpRoutes) if (await route(req, res, services)) return;
      if (req.url?.startsWith("/graphql") || !serveWeb) return yoga(req, res);
      serveWeb(req, res);
    } catch (error) {
      console.error("request failed", error);
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "internal error" }));
    }
  });

  // graphql-ws goes through Yoga's envelop so auth, limits and context are the same as over HTTP.
  // No client message is larger than a GraphQL request body may be.
  const wsServer = new WebSocketServer({ server, path: "/graphql", maxPayload: MAX_JSON_BODY_BYTES });
  const wsCleanup = useServer(
    {
      execute: (args: any) => args.rootValue.execute(args),
      subscribe: (args: any) => args.rootValue.subscribe(args),
      onSubscribe: async (ctx, _id, params) => {
        // graphql-ws has already entered this one among the connection's subscriptions.
        if (Object.keys(ctx.subscriptions).length > MAX_SUBSCRIPTIONS_PER_CONNECTION) {
          return [
            new AppError(
              "RATE_LIMITED",
              `At most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection: end one first`,
            ).toGraphQLError(),
          ];
        }
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          connectionParams: ctx.connectionParams,
        });
        let document;
        try {
          document = parse(params.query);
        } catch (error) {
          if (error instanceof GraphQLError) return [error]; // a syntax error or the token limit: an error message, not a closed socket
          throw error;
        }
        const args = {
          schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        return args;
      },
    },
    wsServer,
  );

  const stopBackground = startBackgroundTasks(services);
  const stopWatchingRevocations = watchRevocations(pubsub);
  const app: App = {
    services,
    url: "",
    async start(port = config.port) {
      await new Promise<void>((resolve) => server.listen(port, config.host, resolve));
      const { port: actual } = server.address() as AddressInfo;
      app.url = `http://${config.host}:${actual}`;
      services.listeningUrl = config.publicUrl ?? app.url;
      return app.url;
    },
    async stop() {
      await stopBackground();
      await stopWatchingRevocations();
      await wsCleanup.dispose();
      wsServer.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // What buildApp made, in reverse order.
      await services.usage.close();
      await services.deployments.close();
      await services.credentials.close();
      await services.compute.close();
      await services.inference.close();
      services.rateLimits.close();
      services.storage.close?.();
      await pubsub.close();
      await db.$disconnect();
    },
  };
  return app;
}
