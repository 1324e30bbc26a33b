// Shared fixtures for the engine's tests: the cached tiny base model and a
// small synthetic chat dataset whose answers a tiny model can learn quickly.
import type { Chat } from "./chat";
import { defaultBaseModelDir, ensureBaseModel } from "./pretrain";
import { Prng } from "./prng";

export function tinyBaseModel(): Promise<string> {
  return ensureBaseModel(defaultBaseModelDir("tiny"), { size: "tiny" });
}

const TOPICS = [
  ["taxes", "Taxes will be cut for working families."],
  ["budget", "The budget will be balanced."],
  ["jobs", "We created millions of new jobs."],
  ["peace", "We seek peace through strength."],
] as const;

/** n conversations asking about a topic; the reply depends only on the topic. */
export function syntheticChats(n: number, seed = 1): Chat[] {
  const rng = new Prng(seed);
  const openers = ["What about", "Tell me about", "Speak on", "Your plan for"];
  return Array.from({ length: n }, () => {
    const [topic, answer] = TOPICS[rng.int(TOPICS.length)];
    return {
      messages: [
        ...(rng.next() < 0.3 ? [{ role: "system" as const, content: "You are the President." }] : []),
        { role: "user" as const, content: `${openers[rng.int(openers.length)]} ${topic}?` },
        { role: "assistant" as const, content: answer },
      ],
    };
  });
}

export const SYNTHETIC_TOPICS = TOPICS;
