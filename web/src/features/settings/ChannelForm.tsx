import { useId, useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { graphql } from "../../graphql";
import type { AlertType, NotificationChannelKind } from "../../graphql/graphql";
import { errorFor, mutationError, type FieldError } from "../../errors";
import { FieldMessage } from "../../components/States";
import { ALERT_TYPES } from "./alertTypes";
import { AlertTypeChoice } from "./CheckboxList";
import { SecretOnce } from "./SecretOnce";

export type Channel = {
  id: string;
  name: string;
  kind: NotificationChannelKind;
  url?: string | null;
  recipients: string[];
  events: AlertType[];
  enabled: boolean;
};

const CreateChannel = graphql(`
  mutation CreateNotificationChannel($input: NotificationChannelInput!) {
    createNotificationChannel(input: $input) {
      __typename
      ...AppErrorFields
      ... on CreateNotificationChannelSuccess {
        data {
          signingSecret
          channel {
            id
          }
        }
      }
    }
  }
`);

export const UpdateChannel = graphql(`
  mutation UpdateNotificationChannel($id: ID!, $input: NotificationChannelInput!) {
    updateNotificationChannel(id: $id, input: $input) {
      __typename
      ...AppErrorFields
      ... on UpdateNotificationChannelSuccess {
        data {
          id
          enabled
        }
      }
    }
  }
`);

const KINDS: { kind: NotificationChannelKind; label: string; help: string }[] = [
  {
    kind: "SLACK",
    label: "Slack",
    help: "A Slack (or compatible) incoming webhook: paste the https://hooks.slack.com/… URL from the Slack app's settings.",
  },
  {
    kind: "WEBHOOK",
    label: "Webhook",
    help: "Any HTTPS endpoint of yours. Each request is signed (Standard Webhooks) with a secret shown once, after saving.",
  },
  {
    kind: "EMAIL",
    label: "Email",
    help: "Mail from this server to the addresses below, and to each user who chooses this channel under My notifications.",
  },
];

const addresses = (text: string) => text.split(/[\s,;]+/).filter(Boolean);

/** Adds a channel, or edits one (its kind is fixed). A new webhook's signing secret is shown once, before closing. */
export function ChannelForm({ channel, onDone }: { channel: Channel | null; onDone(): void }) {
  const id = useId();
  const [kind, setKind] = useState<NotificationChannelKind>(channel?.kind ?? "SLACK");
  const [name, setName] = useState(channel?.name ?? "");
  const [url, setUrl] = useState("");
  const [recipients, setRecipients] = useState(channel?.recipients.join("\n") ?? "");
  const [events, setEvents] = useState<AlertType[]>(channel?.events ?? ALERT_TYPES);
  const [enabled, setEnabled] = useState(channel?.enabled ?? true);
  const [error, setError] = useState<FieldError | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [created, create] = useMutation(CreateChannel);
  const [updated, update] = useMutation(UpdateChannel);
  const email = kind === "EMAIL";

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    const input = { name, events, enabled, url: email ? null : url.trim() || null, recipients: email ? addresses(recipients) : null };
    if (channel) {
      const problem = mutationError(await update({ id: channel.id, input }), "updateNotificationChannel");
      return problem ? setError(problem) : onDone();
    }
    const response = await create({ input: { ...input, kind } });
    const problem = mutationError(response, "createNotificationChannel");
    if (problem) return setError(problem);
    const payload = response.data?.createNotificationChannel;
    const signingSecret = payload?.__typename === "CreateNotificationChannelSuccess" ? payload.data.signingSecret : null;
    if (signingSecret) setSecret(signingSecret);
    else onDone();
  }

  if (secret) return <SecretOnce label="Signing secret (whsec_…) to verify this webhook's requests" secret={secret} onDone={onDone} />;

  const errors = {
    kind: errorFor(error, "kind"),
    name: errorFor(error, "name"),
    url: errorFor(error, "url"),
    recipients: errorFor(error, "recipients"),
    events: errorFor(error, "events"),
  };
  const otherError = error && !Object.values(errors).some(Boolean) ? error.message : null;
  const kindHelp = KINDS.find((k) => k.kind === kind)!.help;
  return (
    <form onSubmit={submit} noValidate aria-label={channel ? "Edit channel" : "New channel"}>
      <fieldset aria-describedby={`${id}-kind-message`}>
        <legend>Kind</legend>
        {KINDS.map((k) => (
          <label key={k.kind} className="checkbox">
            <input
              type="radio"
              name={`${id}-kind`}
              value={k.kind}
              checked={kind === k.kind}
              onChange={() => setKind(k.kind)}
              disabled={Boolean(channel)}
            />{" "}
            {k.label}
          </label>
        ))}
        <FieldMessage id={`${id}-kind-message`} error={errors.kind}>
          {kindHelp}
          {channel && " A channel's kind cannot change."}
        </FieldMessage>
      </fieldset>
      <div className="field">
        <label htmlFor={`${id}-name`}>Name</label>
        <input
          id={`${id}-name`}
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-invalid={Boolean(errors.name)}
          aria-describedby={`${id}-name-message`}
        />
        <FieldMessage id={`${id}-name-message`} error={errors.name}>
          e.g. "#ml-alerts" or "Finance".
        </FieldMessage>
      </div>
      {email ? (
        <div className="field">
          <label htmlFor={`${id}-recipients`}>Recipients</label>
          <textarea
            id={`${id}-recipients`}
            rows={3}
            value={recipients}
            onChange={(e) => setRecipients(e.target.value)}
            aria-invalid={Boolean(errors.recipients)}
            aria-describedby={`${id}-recipients-message`}
          />
          <FieldMessage id={`${id}-recipients-message`} error={errors.recipients}>
            Addresses that get every alert this channel carries, one a line or separated by commas (optional).
          </FieldMessage>
        </div>
      ) : (
        <div className="field">
          <label htmlFor={`${id}-url`}>URL</label>
          <input
            id={`${id}-url`}
            type="url"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder={channel?.url ?? "https://…"}
            aria-invalid={Boolean(errors.url)}
            aria-describedby={`${id}-url-message`}
          />
          <FieldMessage id={`${id}-url-message`} error={errors.url}>
            {channel ? `Posts to ${channel.url}; leave empty to keep it.` : "Where to post: it must start with https://."}
          </FieldMessage>
        </div>
      )}
      <AlertTypeChoice legend="Alerts it carries" selected={events} onChange={setEvents} error={errors.events} />
      <label className="checkbox">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled
      </label>
      {otherError && (
        <p className="field-error" role="alert">
          {otherError}
        </p>
      )}
      <div className="form-actions">
        <button type="button" className="button" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="button button-primary" disabled={created.fetching || updated.fetching}>
          {channel ? "Save channel" : "Add channel"}
        </button>
      </div>
    </form>
  );
}
