import { useEffect } from "react";
import { useQuery, useSubscription } from "urql";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { useConnection } from "../session";

type Job = { id: string; isFinal: boolean };

type Options = {
  /** Ask nothing (no job chosen). */
  pause?: boolean;
  /** Close the subscription once the job has finished (an update can say so): nothing more will change. */
  stopWhenFinal?: boolean;
};

/**
 * A job as `query` reads it, kept current by `subscription` (trainingJobUpdated):
 * each update lands in the cache, which updates every query that shows the
 * job. After a lost connection the job is read again: updates sent meanwhile
 * were missed.
 */
export function useLiveJob<J extends Job>(
  query: TypedDocumentNode<{ job: J }, { id: string }>,
  subscription: TypedDocumentNode<{ trainingJobUpdated: J }, { id: string }>,
  id: string,
  { pause = false, stopWhenFinal = false }: Options = {},
) {
  const [{ data, error, fetching }, refetch] = useQuery({ query, variables: { id }, pause });
  // urql keeps the previous job's data while another job's loads: never show it as this job's.
  const job = data?.job.id === id ? data.job : undefined;
  const following = Boolean(!pause && job && !(stopWhenFinal && job.isFinal));
  useSubscription({ query: subscription, variables: { id }, pause: !following });

  const { reconnects } = useConnection();
  useEffect(() => {
    if (reconnects > 0 && !pause) refetch({ requestPolicy: "network-only" });
  }, [reconnects, refetch, pause]);

  return { job, error, fetching, refetch: () => refetch({ requestPolicy: "network-only" }) };
}
