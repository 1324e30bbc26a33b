-- AlterTable
ALTER TABLE "Organization" ADD COLUMN "apiKeyMaxDays" INTEGER;

