import { graphql } from "../../graphql";
import type { JobEventFieldsFragment, JobEventType } from "../../graphql/graphql";

// The job event log's operations, apart from its component: the cache (loaded with the app) appends live events to it.

export const JobEventFields = graphql(`
  fragment JobEventFields on JobEvent {
    id
    type
    message
    source
    receivedAt
    processingError
  }
`);

export const JobEventsQuery = graphql(`
  query JobEvents($id: ID!, $last: Int!, $types: [JobEventType!], $search: String) {
    job(id: $id) {
      id
      events(last: $last, types: $types, search: $search) {
        totalCount
        edges {
          node {
            ...JobEventFields
          }
        }
      }
    }
  }
`);

/** Whether an event belongs in a log filtered by `types` and the words of `search` (as the server filters). */
export function eventMatches(
  event: JobEventFieldsFragment,
  types: readonly JobEventType[] | null | undefined,
  search: string | null | undefined,
) {
  if (types && !types.includes(event.type)) return false;
  if (!search) return true;
  const text = `${event.type} ${event.message ?? ""} ${event.processingError ?? ""}`.toLowerCase();
  return search
    .toLowerCase()
    .split(/\s+/)
    .every((word) => text.includes(word));
}
