-- AlterTable
ALTER TABLE "User" ADD COLUMN "deactivatedAt" DATETIME;

-- AlterTable
ALTER TABLE "Session" ADD COLUMN "address" TEXT;

-- CreateTable
CREATE TABLE "AccountLink" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "orgId" TEXT,
    "orgName" TEXT,
    "email" TEXT,
    "role" TEXT,
    "createdById" TEXT,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME,
    "revokedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "AccountLink_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "AccountLink_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "orgId" TEXT,
    "actorId" TEXT,
    "actorEmail" TEXT,
    "action" TEXT NOT NULL,
    "targetType" TEXT,
    "targetId" TEXT,
    "address" TEXT,
    "before" JSONB,
    "after" JSONB,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "ComputeLaunch" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "jobId" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "provider" TEXT NOT NULL,
    "externalId" TEXT,
    "region" TEXT,
    "instanceType" TEXT,
    "tier" TEXT NOT NULL,
    "pricePerHourUsd" REAL NOT NULL,
    "simulated" BOOLEAN NOT NULL DEFAULT false,
    "state" TEXT NOT NULL DEFAULT 'LAUNCHING',
    "launchTries" INTEGER NOT NULL DEFAULT 0,
    "retryAt" DATETIME,
    "lockedUntil" DATETIME,
    "startedAt" DATETIME,
    "endedAt" DATETIME,
    "outcome" TEXT,
    "reason" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ComputeLaunch_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "TrainingJob" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Organization" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "monthlyBudgetUsd" REAL NOT NULL DEFAULT 500,
    "hardStopAtBudget" BOOLEAN NOT NULL DEFAULT false,
    "jobApprovalUsd" REAL NOT NULL DEFAULT 150,
    "apiKeyMaxDays" INTEGER,
    "computeProvider" TEXT NOT NULL DEFAULT 'LOCAL',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO "new_Organization" ("createdAt", "hardStopAtBudget", "id", "jobApprovalUsd", "monthlyBudgetUsd", "name", "slug") SELECT "createdAt", "hardStopAtBudget", "id", "jobApprovalUsd", "monthlyBudgetUsd", "name", "slug" FROM "Organization";
DROP TABLE "Organization";
ALTER TABLE "new_Organization" RENAME TO "Organization";
CREATE UNIQUE INDEX "Organization_slug_key" ON "Organization"("slug");
CREATE TABLE "new_TrainingJob" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "orgId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "notes" TEXT,
    "datasetId" TEXT NOT NULL,
    "config" JSONB NOT NULL,
    "preset" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "stage" TEXT,
    "progress" REAL NOT NULL DEFAULT 0,
    "currentEpoch" REAL,
    "totalEpochs" INTEGER NOT NULL,
    "currentStep" INTEGER NOT NULL DEFAULT 0,
    "totalSteps" INTEGER,
    "latestLoss" REAL,
    "latestValLoss" REAL,
    "latestLearningRate" REAL,
    "latestPerplexity" REAL,
    "estimatedCostUsd" REAL NOT NULL,
    "estimatedCostLowUsd" REAL NOT NULL,
    "estimatedCostHighUsd" REAL NOT NULL,
    "actualCostUsd" REAL NOT NULL DEFAULT 0,
    "estimatedDurationSec" REAL NOT NULL,
    "actualDurationSec" REAL,
    "billableSeconds" REAL NOT NULL DEFAULT 0,
    "gpuType" TEXT NOT NULL,
    "pricingTier" TEXT NOT NULL,
    "hourlyRateUsd" REAL NOT NULL,
    "errorType" TEXT,
    "errorMessage" TEXT,
    "retryCount" INTEGER NOT NULL DEFAULT 0,
    "retryOfId" TEXT,
    "recoveryCount" INTEGER NOT NULL DEFAULT 0,
    "createdById" TEXT NOT NULL,
    "clientName" TEXT,
    "projectId" TEXT,
    "workerId" TEXT,
    "leaseExpiresAt" DATETIME,
    "lastReportAt" DATETIME,
    "lastSequence" INTEGER NOT NULL DEFAULT 0,
    "stalledAt" DATETIME,
    "webhookSecret" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "queuedAt" DATETIME,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    "billingEndedAt" DATETIME,
    "machineSeconds" REAL NOT NULL DEFAULT 0,
    "machineSince" DATETIME,
    CONSTRAINT "TrainingJob_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "TrainingJob_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "TrainingJob_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "TrainingJob_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "TrainingJob_retryOfId_fkey" FOREIGN KEY ("retryOfId") REFERENCES "TrainingJob" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_TrainingJob" ("actualCostUsd", "actualDurationSec", "billableSeconds", "billingEndedAt", "clientName", "config", "createdAt", "createdById", "currentEpoch", "currentStep", "datasetId", "description", "errorMessage", "errorType", "estimatedCostHighUsd", "estimatedCostLowUsd", "estimatedCostUsd", "estimatedDurationSec", "finishedAt", "gpuType", "hourlyRateUsd", "id", "lastReportAt", "lastSequence", "latestLearningRate", "latestLoss", "latestPerplexity", "latestValLoss", "leaseExpiresAt", "name", "notes", "orgId", "preset", "pricingTier", "progress", "projectId", "queuedAt", "recoveryCount", "retryCount", "retryOfId", "stage", "stalledAt", "startedAt", "status", "totalEpochs", "totalSteps", "updatedAt", "webhookSecret", "workerId") SELECT "actualCostUsd", "actualDurationSec", "billableSeconds", "billingEndedAt", "clientName", "config", "createdAt", "createdById", "currentEpoch", "currentStep", "datasetId", "description", "errorMessage", "errorType", "estimatedCostHighUsd", "estimatedCostLowUsd", "estimatedCostUsd", "estimatedDurationSec", "finishedAt", "gpuType", "hourlyRateUsd", "id", "lastReportAt", "lastSequence", "latestLearningRate", "latestLoss", "latestPerplexity", "latestValLoss", "leaseExpiresAt", "name", "notes", "orgId", "preset", "pricingTier", "progress", "projectId", "queuedAt", "recoveryCount", "retryCount", "retryOfId", "stage", "stalledAt", "startedAt", "status", "totalEpochs", "totalSteps", "updatedAt", "webhookSecret", "workerId" FROM "TrainingJob";
DROP TABLE "TrainingJob";
ALTER TABLE "new_TrainingJob" RENAME TO "TrainingJob";
CREATE INDEX "TrainingJob_orgId_createdAt_idx" ON "TrainingJob"("orgId", "createdAt");
CREATE INDEX "TrainingJob_orgId_status_idx" ON "TrainingJob"("orgId", "status");
CREATE INDEX "TrainingJob_status_leaseExpiresAt_idx" ON "TrainingJob"("status", "leaseExpiresAt");
CREATE INDEX "TrainingJob_orgId_queuedAt_idx" ON "TrainingJob"("orgId", "queuedAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

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

