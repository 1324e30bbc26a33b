import { builder } from "./builder.js";
// Each domain adds its types, queries, mutations and subscriptions.
import "./auth/schema.js";
import "./costs/schema.js";
import "./datasets/schema.js";
import "./jobs/schema.js";
import "./templates/schema.js";

export const schema = builder.toSchema();
