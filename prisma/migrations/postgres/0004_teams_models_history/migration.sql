-- CreateEnum
CREATE TYPE "DealOutcome" AS ENUM ('OPEN', 'WON', 'LOST');

-- CreateTable
CREATE TABLE "Membership" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "deactivatedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Membership_pkey" PRIMARY KEY ("id")
);

-- Each user's organization and role become their first membership, and their sessions work
-- in that organization (before User loses those columns).
INSERT INTO "Membership" ("id", "userId", "orgId", "role", "deactivatedAt", "createdAt") SELECT 'm' || "id", "id", "orgId", "role", "deactivatedAt", "createdAt" FROM "User";
ALTER TABLE "Session" ADD COLUMN "orgId" TEXT;
UPDATE "Session" SET "orgId" = (SELECT "orgId" FROM "User" WHERE "User"."id" = "Session"."userId");
ALTER TABLE "Session" ALTER COLUMN "orgId" SET NOT NULL;

-- DropForeignKey
ALTER TABLE "User" DROP CONSTRAINT "User_orgId_fkey";

-- DropIndex
DROP INDEX "User_orgId_idx";

-- AlterTable
ALTER TABLE "User" DROP COLUMN "deactivatedAt",
DROP COLUMN "orgId",
DROP COLUMN "role",
ADD COLUMN     "serviceAccount" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN     "launchId" TEXT;

-- AlterTable
ALTER TABLE "Project" ADD COLUMN     "contractValueUsd" DOUBLE PRECISION;

-- AlterTable
ALTER TABLE "TrainingJob" ADD COLUMN     "autoRetryAt" TIMESTAMP(3),
ADD COLUMN     "autoRetryAttempt" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "machineCostUsd" DOUBLE PRECISION NOT NULL DEFAULT 0,
ADD COLUMN     "machineRateUsd" DOUBLE PRECISION,
ADD COLUMN     "onDemandAfterPreemptions" INTEGER,
ADD COLUMN     "onDemandFallback" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "qualityScore" DOUBLE PRECISION,
ADD COLUMN     "templateId" TEXT,
ADD COLUMN     "unbilledCostUsd" DOUBLE PRECISION NOT NULL DEFAULT 0,
ADD COLUMN     "unbilledSeconds" DOUBLE PRECISION NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Template" ADD COLUMN     "datasetId" TEXT,
ADD COLUMN     "gpuType" TEXT,
ADD COLUMN     "lastUsedAt" TIMESTAMP(3),
ADD COLUMN     "notes" TEXT,
ADD COLUMN     "pricingTier" "PricingTier",
ADD COLUMN     "useCount" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "ValidationRun" ADD COLUMN     "workerId" TEXT;

-- AlterTable
ALTER TABLE "ShareLink" ADD COLUMN     "customReportId" TEXT,
ALTER COLUMN "runId" DROP NOT NULL;

-- CreateTable
CREATE TABLE "SsoSettings" (
    "orgId" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "issuer" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "clientSecret" TEXT,
    "allowedDomains" JSONB NOT NULL,
    "roleClaim" TEXT NOT NULL DEFAULT 'groups',
    "roleRules" JSONB NOT NULL,
    "defaultRole" "Role" NOT NULL DEFAULT 'ENGINEER',
    "createMembers" BOOLEAN NOT NULL DEFAULT false,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SsoSettings_pkey" PRIMARY KEY ("orgId")
);

-- CreateTable
CREATE TABLE "SsoAttempt" (
    "id" TEXT NOT NULL,
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
    "usedAt" TIMESTAMP(3),
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SsoAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ValidationResult" (
    "runId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "result" JSONB NOT NULL,
    "workerId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ValidationResult_pkey" PRIMARY KEY ("runId","key")
);

-- CreateTable
CREATE TABLE "CustomReport" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "jobId" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "prospectName" TEXT,
    "items" JSONB NOT NULL,
    "settings" JSONB NOT NULL,
    "createdById" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CustomReport_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReportDeal" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "runId" TEXT,
    "customReportId" TEXT,
    "outcome" "DealOutcome" NOT NULL,
    "valueUsd" DOUBLE PRECISION,
    "decidedOn" TIMESTAMP(3),
    "note" TEXT,
    "recordedById" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ReportDeal_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ComputeCredential" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "provider" "ComputeProviderName" NOT NULL,
    "apiUrl" TEXT NOT NULL,
    "namespace" TEXT NOT NULL DEFAULT '',
    "tokenCipher" TEXT NOT NULL,
    "tokenLast4" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ComputeCredential_pkey" PRIMARY KEY ("id")
);

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
CREATE INDEX "ApiKey_launchId_idx" ON "ApiKey"("launchId");

-- CreateIndex
CREATE INDEX "TrainingJob_autoRetryAt_idx" ON "TrainingJob"("autoRetryAt");

-- CreateIndex
CREATE INDEX "ShareLink_customReportId_idx" ON "ShareLink"("customReportId");

-- CreateIndex
CREATE INDEX "ComputeLaunch_state_retryAt_idx" ON "ComputeLaunch"("state", "retryAt");

-- AddForeignKey
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ApiKey" ADD CONSTRAINT "ApiKey_launchId_fkey" FOREIGN KEY ("launchId") REFERENCES "ComputeLaunch"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SsoSettings" ADD CONSTRAINT "SsoSettings_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SsoAttempt" ADD CONSTRAINT "SsoAttempt_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ValidationResult" ADD CONSTRAINT "ValidationResult_runId_fkey" FOREIGN KEY ("runId") REFERENCES "ValidationRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ShareLink" ADD CONSTRAINT "ShareLink_customReportId_fkey" FOREIGN KEY ("customReportId") REFERENCES "CustomReport"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CustomReport" ADD CONSTRAINT "CustomReport_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CustomReport" ADD CONSTRAINT "CustomReport_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "TrainingJob"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReportDeal" ADD CONSTRAINT "ReportDeal_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReportDeal" ADD CONSTRAINT "ReportDeal_runId_fkey" FOREIGN KEY ("runId") REFERENCES "ValidationRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReportDeal" ADD CONSTRAINT "ReportDeal_customReportId_fkey" FOREIGN KEY ("customReportId") REFERENCES "CustomReport"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ComputeCredential" ADD CONSTRAINT "ComputeCredential_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Machines released before launches carried their own price were billed at the job's rate: keep that bill.
UPDATE "TrainingJob" SET "machineCostUsd" = ROUND(CAST("machineSeconds" / 3600 * "hourlyRateUsd" AS NUMERIC), 4), "machineRateUsd" = CASE WHEN "machineSince" IS NULL THEN NULL ELSE "hourlyRateUsd" END;
