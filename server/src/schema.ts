import { builder } from "./builder.js";
// Each domain adds its types, queries, mutations and subscriptions.
import "./artifacts/schema.js";
import "./auth/schema.js";
import "./budgets/schema.js";
import "./costs/schema.js";
import "./datasets/schema.js";
import "./events/schema.js";
import "./failures/schema.js";
import "./ingest/schema.js";
import "./jobs/schema.js";
import "./jobs/baseModelSchema.js";
import "./metrics/schema.js";
import "./notifications/schema.js";
import "./templates/schema.js";
import "./validation/schema.js";
import "./validation/workerSchema.js";
import "./registry/schema.js";
import "./serving/schema.js";
import "./delivery/schema.js";
import "./reports/schema.js";
import "./workers/schema.js";
import "./compute/schema.js";
import "./members/schema.js";
import "./audit/schema.js";
import "./sso/schema.js";

export const schema = builder.toSchema();
