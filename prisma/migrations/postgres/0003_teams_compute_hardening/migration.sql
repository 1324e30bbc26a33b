-- CreateEnum
CREATE TYPE "AccountLinkKind" AS ENUM ('SETUP', 'INVITATION', 'PASSWORD_RESET');

-- CreateEnum
CREATE TYPE "ComputeProviderName" AS ENUM ('LOCAL', 'WORKERS', 'KUBERNETES', 'SKYPILOT');

-- CreateEnum
CREATE TYPE "ComputeLaunchState" AS ENUM ('LAUNCHING', 'RUNNING', 'ENDED');

-- CreateEnum
CREATE TYPE "ComputeLaunchOutcome" AS ENUM ('SUCCEEDED', 'INTERRUPTED', 'FAILED', 'CANCELLED', 'LOST');

-- AlterTable
ALTER TABLE "Organization" ADD COLUMN     "apiKeyMaxDays" INTEGER,
ADD COLUMN     "computeProvider" "ComputeProviderName" NOT NULL DEFAULT 'LOCAL';

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "deactivatedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Session" ADD COLUMN     "address" TEXT;

-- AlterTable
ALTER TABLE "TrainingJob" ADD COLUMN     "machineSeconds" DOUBLE PRECISION NOT NULL DEFAULT 0,
ADD COLUMN     "machineSince" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "AccountLink" (
    "id" TEXT NOT NULL,
    "kind" "AccountLinkKind" NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "orgId" TEXT,
    "orgName" TEXT,
    "email" TEXT,
    "role" "Role",
    "createdById" TEXT,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AccountLink_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" TEXT NOT NULL,
    "orgId" TEXT,
    "actorId" TEXT,
    "actorEmail" TEXT,
    "action" TEXT NOT NULL,
    "targetType" TEXT,
    "targetId" TEXT,
    "address" TEXT,
    "before" JSONB,
    "after" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ComputeLaunch" (
    "id" TEXT NOT NULL,
    "jobId" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "provider" "ComputeProviderName" NOT NULL,
    "externalId" TEXT,
    "region" TEXT,
    "instanceType" TEXT,
    "tier" "PricingTier" NOT NULL,
    "pricePerHourUsd" DOUBLE PRECISION NOT NULL,
    "simulated" BOOLEAN NOT NULL DEFAULT false,
    "state" "ComputeLaunchState" NOT NULL DEFAULT 'LAUNCHING',
    "launchTries" INTEGER NOT NULL DEFAULT 0,
    "retryAt" TIMESTAMP(3),
    "lockedUntil" TIMESTAMP(3),
    "startedAt" TIMESTAMP(3),
    "endedAt" TIMESTAMP(3),
    "outcome" "ComputeLaunchOutcome",
    "reason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ComputeLaunch_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "AccountLink_tokenHash_key" ON "AccountLink"("tokenHash");

-- CreateIndex
CREATE INDEX "AccountLink_orgId_kind_idx" ON "AccountLink"("orgId", "kind");

-- CreateIndex
CREATE INDEX "AuditEvent_orgId_createdAt_idx" ON "AuditEvent"("orgId", "createdAt");

-- CreateIndex
CREATE INDEX "AuditEvent_orgId_action_idx" ON "AuditEvent"("orgId", "action");

-- CreateIndex
CREATE INDEX "ComputeLaunch_state_idx" ON "ComputeLaunch"("state");

-- CreateIndex
CREATE UNIQUE INDEX "ComputeLaunch_jobId_attempt_key" ON "ComputeLaunch"("jobId", "attempt");

-- CreateIndex
CREATE INDEX "Session_userId_idx" ON "Session"("userId");

-- AddForeignKey
ALTER TABLE "AccountLink" ADD CONSTRAINT "AccountLink_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AccountLink" ADD CONSTRAINT "AccountLink_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ComputeLaunch" ADD CONSTRAINT "ComputeLaunch_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "TrainingJob"("id") ON DELETE CASCADE ON UPDATE CASCADE;

