-- CreateEnum
CREATE TYPE "ComputeProviderName" AS ENUM ('LOCAL', 'WORKERS');

-- CreateEnum
CREATE TYPE "ComputeLaunchState" AS ENUM ('LAUNCHING', 'RUNNING', 'ENDED');

-- CreateEnum
CREATE TYPE "ComputeLaunchOutcome" AS ENUM ('SUCCEEDED', 'INTERRUPTED', 'FAILED', 'CANCELLED', 'LOST');

-- AlterTable
ALTER TABLE "Organization" ADD COLUMN     "computeProvider" "ComputeProviderName" NOT NULL DEFAULT 'LOCAL';

-- AlterTable
ALTER TABLE "TrainingJob" ADD COLUMN     "machineSeconds" DOUBLE PRECISION NOT NULL DEFAULT 0,
ADD COLUMN     "machineSince" TIMESTAMP(3);

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
CREATE INDEX "ComputeLaunch_state_idx" ON "ComputeLaunch"("state");

-- CreateIndex
CREATE UNIQUE INDEX "ComputeLaunch_jobId_attempt_key" ON "ComputeLaunch"("jobId", "attempt");

-- AddForeignKey
ALTER TABLE "ComputeLaunch" ADD CONSTRAINT "ComputeLaunch_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "TrainingJob"("id") ON DELETE CASCADE ON UPDATE CASCADE;

