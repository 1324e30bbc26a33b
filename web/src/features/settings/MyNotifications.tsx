import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../graphql";
import type { AlertType } from "../../graphql/graphql";
import { errorFor, mutationError, type FieldError } from "../../errors";
import { ErrorMessage, Loading, SaveActions } from "../../components/States";
import { AlertTypeChoice, CheckboxList } from "./CheckboxList";

const PreferencesQuery = graphql(`
  query MyNotificationPreferences {
    myNotificationPreferences {
      events
      channelIds
      dailyDigest
      isDefault
    }
  }
`);

const UpdatePreferences = graphql(`
  mutation UpdateNotificationPreferences($events: [AlertType!], $channelIds: [ID!], $dailyDigest: Boolean) {
    updateNotificationPreferences(events: $events, channelIds: $channelIds, dailyDigest: $dailyDigest) {
      __typename
      ...AppErrorFields
      ... on UpdateNotificationPreferencesSuccess {
        data {
          events
          channelIds
          dailyDigest
          isDefault
        }
      }
    }
  }
`);

type Preferences = { events: AlertType[]; channelIds: string[]; dailyDigest: boolean; isDefault: boolean };
type EmailChannel = { id: string; name: string };

function PreferencesForm({ preferences, emailChannels }: { preferences: Preferences; emailChannels: EmailChannel[] }) {
  const [events, setEvents] = useState(preferences.events);
  // A deleted channel may linger in saved choices: it is dropped, not shown.
  const [channelIds, setChannelIds] = useState(preferences.channelIds.filter((id) => emailChannels.some((c) => c.id === id)));
  const [dailyDigest, setDailyDigest] = useState(preferences.dailyDigest);
  const [error, setError] = useState<FieldError | null>(null);
  const [saved, setSaved] = useState(false);
  const [result, update] = useMutation(UpdatePreferences);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    const problem = mutationError(await update({ events, channelIds, dailyDigest }), "updateNotificationPreferences");
    setError(problem);
    setSaved(!problem);
  }

  const eventsError = errorFor(error, "events");
  const channelsError = errorFor(error, "channelIds");
  const otherError = error && !eventsError && !channelsError ? error.message : null;
  return (
    <form aria-label="My notification preferences" onSubmit={submit} noValidate>
      {preferences.isDefault && !saved && (
        <p className="notice">You are using your role's defaults: change them and save to choose your own.</p>
      )}
      <AlertTypeChoice legend="Alerts I receive by email" selected={events} onChange={setEvents} error={eventsError} />
      {emailChannels.length > 0 ? (
        <CheckboxList
          legend="Through these email channels"
          options={emailChannels.map((c) => ({ value: c.id, label: c.name }))}
          selected={channelIds}
          onChange={setChannelIds}
          error={channelsError}
        />
      ) : (
        <p className="muted">There is no email channel yet, so no alert reaches you by email: an owner or admin can add one above.</p>
      )}
      <label className="checkbox">
        <input type="checkbox" checked={dailyDigest} onChange={(e) => setDailyDigest(e.target.checked)} /> Daily digest: one email a day
        with finished jobs, alerts and the month's spend
      </label>
      <SaveActions error={otherError} label="Save my notifications" saving={result.fetching} saved={saved} />
    </form>
  );
}

/** What the signed-in user hears about by email, and how. */
export function MyNotifications({ emailChannels }: { emailChannels: EmailChannel[] }) {
  const [{ data, error, fetching }, refetch] = useQuery({ query: PreferencesQuery });
  const preferences = data?.myNotificationPreferences;
  return (
    <section className="card" aria-labelledby="my-notifications-title">
      <h2 id="my-notifications-title">My notifications</h2>
      <p className="muted">Slack and webhook channels carry their alerts for everyone; here you choose what reaches you by email.</p>
      {error && <ErrorMessage error={error} retry={() => refetch({ requestPolicy: "network-only" })} />}
      {!preferences && fetching && <Loading label="Loading your preferences…" />}
      {/* Mounted once the preferences arrive: later refetches do not reset what the user is editing. */}
      {preferences && <PreferencesForm preferences={preferences} emailChannels={emailChannels} />}
    </section>
  );
}
