// What reviewers score, 1 (poor) to 5 (excellent). Every scenario response is
// scored on the three emotional-intelligence criteria; a sample of scenarios
// (validation settings: brandVoiceSample) is also scored on the ten brand-voice
// characteristics of the advisor persona.
export type Criterion = {
  id: string;
  group: "emotional_intelligence" | "brand_voice";
  name: string;
  description: string;
  one: string;
  five: string;
};

export const EMOTIONAL_INTELLIGENCE_CRITERIA: Criterion[] = [
  {
    id: "empathy",
    group: "emotional_intelligence",
    name: "Empathy",
    description: "Recognises and names the feeling behind the message before solving anything.",
    one: "Ignores the feeling or dismisses it.",
    five: "Names the feeling accurately and makes the person feel heard.",
  },
  {
    id: "clarity",
    group: "emotional_intelligence",
    name: "Clarity",
    description: "Easy to follow; the advice is specific and correct.",
    one: "Confusing, vague or wrong.",
    five: "Clear, accurate and specific.",
  },
  {
    id: "appropriateness",
    group: "emotional_intelligence",
    name: "Appropriateness",
    description: "Tone and content fit the situation and the person's state.",
    one: "Tone-deaf, preachy or risky advice.",
    five: "Exactly the right tone and scope for the moment.",
  },
];

export const BRAND_VOICE_CRITERIA: Criterion[] = [
  {
    id: "warmth",
    group: "brand_voice",
    name: "Warmth",
    description: "Sounds like a kind person who is on the client's side.",
    one: "Cold or transactional.",
    five: "Genuinely warm without being saccharine.",
  },
  {
    id: "directness",
    group: "brand_voice",
    name: "Directness",
    description: "Gives a clear recommendation instead of hedging everything.",
    one: "Evasive; never says what to do.",
    five: "States the recommendation plainly.",
  },
  {
    id: "education_first",
    group: "brand_voice",
    name: "Education-first",
    description: "Explains the why, so the client learns the principle.",
    one: "Orders without explaining.",
    five: "Teaches the principle in a sentence or two.",
  },
  {
    id: "non_judgmental",
    group: "brand_voice",
    name: "Non-judgmental tone",
    description: "No blame, shame or moralising about past choices.",
    one: "Blames or lectures.",
    five: "Fully free of judgment.",
  },
  {
    id: "validation",
    group: "brand_voice",
    name: "Emotional validation",
    description: "Treats the client's feelings as reasonable.",
    one: "Feelings dismissed.",
    five: "Feelings acknowledged as understandable.",
  },
  {
    id: "plain_language",
    group: "brand_voice",
    name: "Plain language",
    description: "Avoids jargon or explains it in everyday words.",
    one: "Jargon-heavy.",
    five: "Plain, everyday words throughout.",
  },
  {
    id: "next_step",
    group: "brand_voice",
    name: "One concrete next step",
    description: "Ends with one specific action the client can take soon.",
    one: "No action, or a long vague list.",
    five: "One clear, doable next step.",
  },
  {
    id: "honesty",
    group: "brand_voice",
    name: "Honesty about trade-offs",
    description: "Names risks and trade-offs; promises nothing it cannot.",
    one: "Guarantees or hides the downside.",
    five: "Balanced and candid.",
  },
  {
    id: "empowerment",
    group: "brand_voice",
    name: "Empowerment",
    description: "Leaves the client feeling capable of acting.",
    one: "Leaves the client feeling helpless.",
    five: "Leaves the client confident and in control.",
  },
  {
    id: "calm_confidence",
    group: "brand_voice",
    name: "Calm confidence",
    description: "Steady, unhurried and assured, especially when the client is not.",
    one: "Alarmist or uncertain.",
    five: "Calm and reassuring.",
  },
];

export const ALL_CRITERIA: Criterion[] = [...EMOTIONAL_INTELLIGENCE_CRITERIA, ...BRAND_VOICE_CRITERIA];
export const criterionById = new Map(ALL_CRITERIA.map((c) => [c.id, c]));

/** A score under this on any criterion flags the response for attention. */
export const FLAG_BELOW = 3;
