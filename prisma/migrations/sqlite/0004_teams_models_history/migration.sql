-- AlterTable
ALTER TABLE "Project" ADD COLUMN "contractValueUsd" REAL;

-- AlterTable
ALTER TABLE "ValidationRun" ADD COLUMN "workerId" TEXT;

-- CreateTable
CREATE TABLE "Membership" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "deactivatedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Membership_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Membership_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- Each user's organization and role become their first membership (before User loses those columns).
INSERT INTO "Membership" ("id", "userId", "orgId", "role", "deactivatedAt", "createdAt") SELECT 'm' || "id", "id", "orgId", "role", "deactivatedAt", "createdAt" FROM "User";

-- CreateTable
CREATE TABLE "SsoSettings" (
    "orgId" TEXT NOT NULL PRIMARY KEY,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "issuer" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "clientSecret" TEXT,
    "allowedDomains" JSONB NOT NULL,
    "roleClaim" TEXT NOT NULL DEFAULT 'groups',
    "roleRules" JSONB NOT NULL,
    "defaultRole" TEXT NOT NULL DEFAULT 'ENGINEER',
    "createMembers" BOOLEAN NOT NULL DEFAULT false,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "SsoSettings_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "SsoAttempt" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "orgId" TEXT NOT NULL,
    "stateHash" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "codeVerifier" TEXT NOT NULL,
    "invitationId" TEXT,
    "resultHash" TEXT,
    "userId" TEXT,
    "errorCode" TEXT,
    "errorMessage" TEXT,
    "errorField" TEXT,
    "usedAt" DATETIME,
    "expiresAt" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "SsoAttempt_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ValidationResult" (
    "runId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "result" JSONB NOT NULL,
    "workerId" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("runId", "key"),
    CONSTRAINT "ValidationResult_runId_fkey" FOREIGN KEY ("runId") REFERENCES "ValidationRun" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "CustomReport" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "orgId" TEXT NOT NULL,
    "jobId" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "prospectName" TEXT,
    "items" JSONB NOT NULL,
    "settings" JSONB NOT NULL,
    "createdById" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "CustomReport_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "CustomReport_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "TrainingJob" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ReportDeal" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "orgId" TEXT NOT NULL,
    "runId" TEXT,
    "customReportId" TEXT,
    "outcome" TEXT NOT NULL,
    "valueUsd" REAL,
    "decidedOn" DATETIME,
    "note" TEXT,
    "recordedById" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "ReportDeal_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ReportDeal_runId_fkey" FOREIGN KEY ("runId") REFERENCES "ValidationRun" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ReportDeal_customReportId_fkey" FOREIGN KEY ("customReportId") REFERENCES "CustomReport" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ComputeCredential" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "orgId" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "apiUrl" TEXT NOT NULL,
    "namespace" TEXT NOT NULL DEFAULT '',
    "tokenCipher" TEXT NOT NULL,
    "tokenLast4" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ComputeCredential_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_User" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "passwordHash" TEXT,
    "serviceAccount" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO "new_User" ("createdAt", "email", "id", "name", "passwordHash") SELECT "createdAt", "email", "id", "name", "passwordHash" FROM "User";
DROP TABLE "User";
ALTER TABLE "new_User" RENAME TO "User";
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
CREATE TABLE "new_ApiKey" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "orgId" TEXT NOT NULL,
    "userId" TEXT,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "scopes" JSONB NOT NULL,
    "jobId" TEXT,
    "launchId" TEXT,
    "expiresAt" DATETIME,
    "revokedAt" DATETIME,
    "lastUsedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ApiKey_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ApiKey_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ApiKey_launchId_fkey" FOREIGN KEY ("launchId") REFERENCES "ComputeLaunch" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_ApiKey" ("createdAt", "expiresAt", "hash", "id", "jobId", "lastUsedAt", "name", "orgId", "prefix", "revokedAt", "scopes", "userId") SELECT "createdAt", "expiresAt", "hash", "id", "jobId", "lastUsedAt", "name", "orgId", "prefix", "revokedAt", "scopes", "userId" FROM "ApiKey";
DROP TABLE "ApiKey";
ALTER TABLE "new_ApiKey" RENAME TO "ApiKey";
CREATE UNIQUE INDEX "ApiKey_hash_key" ON "ApiKey"("hash");
CREATE INDEX "ApiKey_orgId_idx" ON "ApiKey"("orgId");
CREATE INDEX "ApiKey_launchId_idx" ON "ApiKey"("launchId");
CREATE TABLE "new_Session" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "address" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Session_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Session_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
-- A session works in its user's organization (their only membership so far).
INSERT INTO "new_Session" ("address", "createdAt", "expiresAt", "id", "tokenHash", "userId", "orgId") SELECT "address", "createdAt", "expiresAt", "id", "tokenHash", "userId", (SELECT "orgId" FROM "Membership" WHERE "Membership"."userId" = "Session"."userId") FROM "Session";
DROP TABLE "Session";
ALTER TABLE "new_Session" RENAME TO "Session";
CREATE UNIQUE INDEX "Session_tokenHash_key" ON "Session"("tokenHash");
CREATE INDEX "Session_userId_idx" ON "Session"("userId");
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
    "machineCostUsd" REAL NOT NULL DEFAULT 0,
    "machineRateUsd" REAL,
    "unbilledSeconds" REAL NOT NULL DEFAULT 0,
    "unbilledCostUsd" REAL NOT NULL DEFAULT 0,
    "autoRetryAt" DATETIME,
    "autoRetryAttempt" INTEGER NOT NULL DEFAULT 0,
    "qualityScore" REAL,
    "templateId" TEXT,
    "onDemandFallback" BOOLEAN NOT NULL DEFAULT false,
    "onDemandAfterPreemptions" INTEGER,
    CONSTRAINT "TrainingJob_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "TrainingJob_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "TrainingJob_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "TrainingJob_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "TrainingJob_retryOfId_fkey" FOREIGN KEY ("retryOfId") REFERENCES "TrainingJob" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_TrainingJob" ("actualCostUsd", "actualDurationSec", "billableSeconds", "billingEndedAt", "clientName", "config", "createdAt", "createdById", "currentEpoch", "currentStep", "datasetId", "description", "errorMessage", "errorType", "estimatedCostHighUsd", "estimatedCostLowUsd", "estimatedCostUsd", "estimatedDurationSec", "finishedAt", "gpuType", "hourlyRateUsd", "id", "lastReportAt", "lastSequence", "latestLearningRate", "latestLoss", "latestPerplexity", "latestValLoss", "leaseExpiresAt", "machineSeconds", "machineSince", "name", "notes", "orgId", "preset", "pricingTier", "progress", "projectId", "queuedAt", "recoveryCount", "retryCount", "retryOfId", "stage", "stalledAt", "startedAt", "status", "totalEpochs", "totalSteps", "updatedAt", "webhookSecret", "workerId") SELECT "actualCostUsd", "actualDurationSec", "billableSeconds", "billingEndedAt", "clientName", "config", "createdAt", "createdById", "currentEpoch", "currentStep", "datasetId", "description", "errorMessage", "errorType", "estimatedCostHighUsd", "estimatedCostLowUsd", "estimatedCostUsd", "estimatedDurationSec", "finishedAt", "gpuType", "hourlyRateUsd", "id", "lastReportAt", "lastSequence", "latestLearningRate", "latestLoss", "latestPerplexity", "latestValLoss", "leaseExpiresAt", "machineSeconds", "machineSince", "name", "notes", "orgId", "preset", "pricingTier", "progress", "projectId", "queuedAt", "recoveryCount", "retryCount", "retryOfId", "stage", "stalledAt", "startedAt", "status", "totalEpochs", "totalSteps", "updatedAt", "webhookSecret", "workerId" FROM "TrainingJob";
DROP TABLE "TrainingJob";
ALTER TABLE "new_TrainingJob" RENAME TO "TrainingJob";
CREATE INDEX "TrainingJob_orgId_createdAt_idx" ON "TrainingJob"("orgId", "createdAt");
CREATE INDEX "TrainingJob_orgId_status_idx" ON "TrainingJob"("orgId", "status");
CREATE INDEX "TrainingJob_status_leaseExpiresAt_idx" ON "TrainingJob"("status", "leaseExpiresAt");
CREATE INDEX "TrainingJob_orgId_queuedAt_idx" ON "TrainingJob"("orgId", "queuedAt");
CREATE INDEX "TrainingJob_autoRetryAt_idx" ON "TrainingJob"("autoRetryAt");
CREATE TABLE "new_Template" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "orgId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "preset" TEXT NOT NULL,
    "config" JSONB NOT NULL,
    "datasetId" TEXT,
    "gpuType" TEXT,
    "pricingTier" TEXT,
    "notes" TEXT,
    "useCount" INTEGER NOT NULL DEFAULT 0,
    "lastUsedAt" DATETIME,
    "createdById" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Template_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Template_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_Template" ("config", "createdAt", "createdById", "description", "id", "name", "orgId", "preset") SELECT "config", "createdAt", "createdById", "description", "id", "name", "orgId", "preset" FROM "Template";
DROP TABLE "Template";
ALTER TABLE "new_Template" RENAME TO "Template";
CREATE UNIQUE INDEX "Template_orgId_name_key" ON "Template"("orgId", "name");
CREATE TABLE "new_ShareLink" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "runId" TEXT,
    "customReportId" TEXT,
    "tokenHash" TEXT NOT NULL,
    "createdById" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "revokedAt" DATETIME,
    "viewCount" INTEGER NOT NULL DEFAULT 0,
    "lastViewedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ShareLink_runId_fkey" FOREIGN KEY ("runId") REFERENCES "ValidationRun" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ShareLink_customReportId_fkey" FOREIGN KEY ("customReportId") REFERENCES "CustomReport" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_ShareLink" ("createdAt", "createdById", "expiresAt", "id", "lastViewedAt", "revokedAt", "runId", "tokenHash", "viewCount") SELECT "createdAt", "createdById", "expiresAt", "id", "lastViewedAt", "revokedAt", "runId", "tokenHash", "viewCount" FROM "ShareLink";
DROP TABLE "ShareLink";
ALTER TABLE "new_ShareLink" RENAME TO "ShareLink";
CREATE UNIQUE INDEX "ShareLink_tokenHash_key" ON "ShareLink"("tokenHash");
CREATE INDEX "ShareLink_runId_idx" ON "ShareLink"("runId");
CREATE INDEX "ShareLink_customReportId_idx" ON "ShareLink"("customReportId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "Membership_orgId_idx" ON "Membership"("orgId");

-- CreateIndex
CREATE UNIQUE INDEX "Membership_userId_orgId_key" ON "Membership"("userId", "orgId");

-- CreateIndex
CREATE UNIQUE INDEX "SsoAttempt_stateHash_key" ON "SsoAttempt"("stateHash");

-- CreateIndex
CREATE UNIQUE INDEX "SsoAttempt_resultHash_key" ON "SsoAttempt"("resultHash");

-- CreateIndex
CREATE INDEX "SsoAttempt_expiresAt_idx" ON "SsoAttempt"("expiresAt");

-- CreateIndex
CREATE INDEX "CustomReport_orgId_createdAt_idx" ON "CustomReport"("orgId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "ReportDeal_runId_key" ON "ReportDeal"("runId");

-- CreateIndex
CREATE UNIQUE INDEX "ReportDeal_customReportId_key" ON "ReportDeal"("customReportId");

-- CreateIndex
CREATE UNIQUE INDEX "ComputeCredential_orgId_provider_key" ON "ComputeCredential"("orgId", "provider");

-- CreateIndex
CREATE INDEX "ComputeLaunch_state_retryAt_idx" ON "ComputeLaunch"("state", "retryAt");


-- Machines released before launches carried their own price were billed at the job's rate: keep that bill.
UPDATE "TrainingJob" SET "machineCostUsd" = ROUND(CAST("machineSeconds" / 3600 * "hourlyRateUsd" AS NUMERIC), 4), "machineRateUsd" = CASE WHEN "machineSince" IS NULL THEN NULL ELSE "hourlyRateUsd" END;
