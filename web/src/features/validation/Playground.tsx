import { useState } from "react";
import { useQuery } from "urql";
import { graphql } from "../../graphql";
import { ErrorMessage, Loading } from "../../components/States";

const PlaygroundQuery = graphql(`
  query Playground($jobId: ID, $modelVersionId: ID, $prompt: String!) {
    playground(jobId: $jobId, modelVersionId: $modelVersionId, prompt: $prompt) {
      base {
        text
        finishReason
      }
      adapted {
        text
        finishReason
      }
    }
  }
`);

/** A prompt answered by the base model and by the fine-tuned one, side by side. */
export function Playground({ jobId, modelVersionId }: { jobId?: string; modelVersionId?: string }) {
  const [draft, setDraft] = useState("");
  const [prompt, setPrompt] = useState<string | null>(null);
  const [{ data, error, fetching }] = useQuery({
    query: PlaygroundQuery,
    variables: { jobId, modelVersionId, prompt: prompt ?? "" },
    pause: !prompt,
  });
  return (
    <div>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (draft.trim()) setPrompt(draft.trim());
        }}
      >
        <label className="field">
          <span>Prompt</span>
          <textarea rows={3} value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="How big should my emergency fund be?" />
        </label>
        <button type="submit" className="button button-primary" disabled={!draft.trim() || fetching}>
          Compare answers
        </button>
      </form>
      {fetching && <Loading label="Generating…" />}
      <ErrorMessage error={error} />
      {data && !fetching && (
        <div className="side-by-side">
          <div role="region" aria-label="Base model answer">
            <strong>Base model</strong>
            <br />
            {data.playground.base.text || "(no answer)"}
          </div>
          <div role="region" aria-label="Fine-tuned answer">
            <strong>Fine-tuned</strong>
            <br />
            {data.playground.adapted.text || "(no answer)"}
          </div>
        </div>
      )}
    </div>
  );
}
