import { MODEL_SIZES, parameterCount } from "../../../shared/demoModels.js";

// Tuneloop's built-in demo base models are tiny: fine for seeing the product
// work end to end, not for judging answers. Wherever their answers are shown
// for scoring, say so.

const formatParameters = (n: number) => (n >= 1e6 ? `${Math.round(n / 1e5) / 10} million` : `${Math.round(n / 1e4) * 10} thousand`);

/** What a reviewer should know about the base model; null unless it is a built-in demo model. */
export function demoModelNote(baseModel: string): string | null {
  const recipe = Object.values(MODEL_SIZES).find((r) => r.name === baseModel);
  if (!recipe) return null;
  return (
    `${baseModel} is Tuneloop's built-in demo base model: about ${formatParameters(parameterCount(recipe))} parameters, pretrained for a few minutes on ` +
    `State of the Union speeches. Its answers, before and after fine-tuning, are mostly not coherent sentences; score what differs between ` +
    `the two (tone, warmth, words of the advisor's voice), not whether either makes sense. A production base model (billions of parameters) gives answers worth judging on their own.`
  );
}
