-- AlterTable
ALTER TABLE "TrainingJob" ADD COLUMN "billingEndedAt" DATETIME;

