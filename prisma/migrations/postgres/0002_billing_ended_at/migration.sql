-- AlterTable
ALTER TABLE "TrainingJob" ADD COLUMN     "billingEndedAt" TIMESTAMP(3);

