import type { AppServices } from "./context.js";
import { hashPassword } from "./auth/tokens.js";
import { createDataset } from "./datasets/service.js";
import { demoDatasetJsonl } from "./datasets/demoDataset.js";

/** Demo sign-ins (password `demo`), one per role. Documented in the README. */
export const DEMO_USERS = [
  { email: "engineer@demo.tuneloop.dev", name: "Eve Engineer", role: "ENGINEER" },
  { email: "owner@demo.tuneloop.dev", name: "Olivia Owner", role: "OWNER" },
  { email: "qa@demo.tuneloop.dev", name: "Quinn QA", role: "QA" },
  { email: "admin@demo.tuneloop.dev", name: "Ada Admin", role: "ADMIN" },
] as const;
export const DEMO_PASSWORD = "demo";
export const DEMO_DATASET_NAME = "Financial advisor voice (demo)";

/**
 * Creates the demo organization once (only when asked for: SEED_DEMO=true, as
 * `pnpm start` does); later starts leave it as it is. Several instances may
 * start at once: the organization's unique slug decides which one seeds.
 */
export async function seedDemo(services: AppServices) {
  const { db, config } = services;
  if (await db.organization.findUnique({ where: { slug: "demo" } })) return;
  const passwordHash = await hashPassword(DEMO_PASSWORD, config.passwordHashCost);
  const org = await db.organization
    .create({
      data: {
        name: "Demo Advisory",
        slug: "demo",
        memberships: { create: DEMO_USERS.map(({ role, ...u }) => ({ role, user: { create: { ...u, passwordHash } } })) },
      },
      include: { memberships: true },
    })
    .catch((error: { code?: string }) => {
      if (error?.code === "P2002") return null; // another instance seeded it first
      throw error;
    });
  if (!org) return;
  const engineer = org.memberships.find((m) => m.role === "ENGINEER")!;
  await createDataset(services, org.id, engineer.userId, DEMO_DATASET_NAME, new TextEncoder().encode(demoDatasetJsonl()));
}
