import { useEffect } from "react";
import { useQuery, useSubscription } from "urql";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { useConnection } from "../session";

type Job = { id: string; isFinal: boolean; updatedAt: string };

type Options = {
  /** Ask nothing (no job chosen). */
  pause?: boolean;
  /** Close the subscription once the job has finished: nothing more will change. */
  stopWhenFinal?: boolean;
};

/**
 * A job as `query` reads it, replaced by each newer version that `subscription`
 * (trainingJobUpdated) pushes. After a lost connection the job is read again:
 * updates sent meanwhile were missed.
 */
export function useLiveJob<J extends Job>(
  query: TypedDocumentNode<{ job: J }, { id: string }>,
  subscription: TypedDocumentNode<{ trainingJobUpdated: J }, { id: string }>,
  id: string,
  { pause = false, stopWhenFinal = false }: Options = {},
) {
  const [{ data, error, fetching }, refetch] = useQuery({ query, variables: { id }, pause });
  // urql keeps the previous job's data while another job's loads: never show it as this job's.
  const listed = data?.job.id === id ? data.job : undefined;
  const following = Boolean(!pause && listed && !(stopWhenFinal && listed.isFinal));
  const [live] = useSubscription({ query: subscription, variables: { id }, pause: !following });
  const update = live.data?.trainingJobUpdated;
  const job = listed && update?.id === id && update.updatedAt >= listed.updatedAt ? update : listed;

  // The job finished while followed: read it once more, which closes the subscription.
  const ended = Boolean(stopWhenFinal && following && job?.isFinal);
  useEffect(() => {
    if (ended) refetch({ requestPolicy: "network-only" });
  }, [ended, refetch]);

  const { reconnects } = useConnection();
  useEffect(() => {
    if (reconnects > 0 && !pause) refetch({ requestPolicy: "network-only" });
  }, [reconnects, refetch, pause]);

  return { job, error, fetching, refetch: () => refetch({ requestPolicy: "network-only" }) };
}
