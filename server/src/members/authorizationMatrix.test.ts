import { afterAll, beforeAll, expect, it } from "vitest";
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
} from "graphql";
import { schema } from "../schema.js";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";

// The authorization matrix, generated from the schema: every mutation and
// subscription must carry an explicit rule (authScopes) or be on the short public
// list below, so a new one without a rule fails here. Each rule is then checked
// over HTTP for every demo role and for no credential at all: the callers the
// rule refuses must be refused (only refusals are sent, so no resolver runs).

/** Reachable without signing in, each on purpose. */
const PUBLIC = new Set([
  "login",
  "logout",
  "completeSetup",
  "acceptInvitation",
  "requestPasswordReset",
  "resetPassword",
  "completeSsoSignIn",
]);
const ROLES = ["ENGINEER", "OWNER", "QA", "ADMIN"] as const;
type Rule = { user?: boolean; role?: string[]; trainer?: boolean; worker?: boolean } | ((...args: never[]) => unknown) | undefined;

const ruleOf = (field: GraphQLField<unknown, unknown>) =>
  (field.extensions as { pothosOptions?: { authScopes?: Rule } }).pothosOptions?.authScopes;

/** A valid literal for a required argument of this type. */
function literal(type: GraphQLInputType): string {
  if (isNonNullType(type)) return literal(type.ofType);
  if (isListType(type)) return `[${literal(type.ofType)}]`;
  if (isEnumType(type)) return type.getValues()[0].name;
  if (isInputObjectType(type)) {
    const required = Object.values(type.getFields()).filter((f) => isNonNullType(f.type));
    return `{ ${required.map((f) => `${f.name}: ${literal(f.type)}`).join(", ")} }`;
  }
  const scalar: Record<string, string> = {
    ID: '"x"',
    String: '"x"',
    Int: "1",
    Float: "1",
    Boolean: "false",
    DateTime: '"2026-01-01T00:00:00Z"',
    JSON: "{}",
  };
  if (isScalarType(type) && scalar[type.name]) return scalar[type.name];
  throw new Error(`no literal for ${String(type)}`);
}

function operation(field: GraphQLField<unknown, unknown>): string | null {
  const required = field.args.filter((a) => isNonNullType(a.type));
  if (required.some((a) => getNamedType(a.type).name === "Upload")) return null; // multipart: covered by its domain's tests
  const args = required.length ? `(${required.map((a) => `${a.name}: ${literal(a.type)}`).join(", ")})` : "";
  const selection = isScalarType(getNamedType(field.type)) || isEnumType(getNamedType(field.type)) ? "" : " { __typename }";
  return `mutation { ${field.name}${args}${selection} }`;
}

/** Which callers a rule lets through; null: decided inside the rule (a function), so only "signed in" is checked. */
function allowed(rule: Exclude<Rule, undefined>, role: (typeof ROLES)[number]): boolean | null {
  if (typeof rule === "function") return null;
  if (rule.user) return true;
  if (rule.role) return rule.role.includes(role) || role === "ADMIN";
  return false; // trainer and worker credentials only
}

let app: TestApp;
const sessions: Partial<Record<(typeof ROLES)[number], string>> = {};
beforeAll(async () => {
  app = await startTestApp({ seedDemo: true });
  for (const role of ROLES) sessions[role] = await app.login(role.toLowerCase() as "engineer");
});
afterAll(() => app?.stop());

it("every mutation and subscription has an explicit rule", () => {
  const fields = [...Object.values(schema.getMutationType()!.getFields()), ...Object.values(schema.getSubscriptionType()!.getFields())];
  const withoutRule = fields.filter((f) => !ruleOf(f) && !PUBLIC.has(f.name)).map((f) => f.name);
  expect(withoutRule).toEqual([]);
});

it("each mutation refuses the callers its rule does not allow: anonymous, and each role", async () => {
  const checked: string[] = [];
  for (const field of Object.values(schema.getMutationType()!.getFields())) {
    const rule = ruleOf(field);
    const query = operation(field);
    if (!rule || !query) continue;
    const anonymous = await app.gql(query);
    expect([field.name, anonymous.errors?.[0]?.extensions?.code]).toEqual([field.name, "UNAUTHENTICATED"]);
    for (const role of ROLES) {
      if (allowed(rule, role) !== false) continue;
      const refused = await app.gql(query, {}, sessions[role]);
      expect([field.name, role, refused.errors?.[0]?.extensions?.code]).toEqual([field.name, role, "FORBIDDEN"]);
    }
    checked.push(field.name);
  }
  expect(checked).toEqual(
    expect.arrayContaining([
      "inviteMember",
      "changeMemberRole",
      "deactivateMember",
      "updateBudget",
      "deployModelVersion",
      "createServiceAccount",
      "createServiceAccountKey",
      "deactivateServiceAccount",
      "switchOrganization",
      "createOrganization",
    ]),
  );
});

it("a role holds in its own organization only: an admin elsewhere is refused by the role they have here", async () => {
  const qa = await app.login("qa");
  const created = await app.gql(
    `mutation { createOrganization(name:"Matrix Org"){ ... on CreateOrganizationSuccess { data { token } } } }`,
    {},
    qa,
  );
  const adminThere = created.data.createOrganization.data.token;
  const invite = `mutation { inviteMember(email:"x", role:ENGINEER){ __typename } }`;
  expect((await app.gql(invite, {}, sessions.QA)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  const there = await app.gql(invite, {}, adminThere);
  expect([there.errors, there.data.inviteMember.__typename]).toEqual([undefined, "AppError"]); // past the rule, refused by the resolver (the email)
});
