import type { HttpRoute } from "./app.js";

// Routes outside GraphQL, one per domain (webhooks, signed downloads). Each
// checks its own path and returns false for requests that are not its own.
export const httpRoutes: HttpRoute[] = [];
