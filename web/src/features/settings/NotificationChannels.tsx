import { useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../../graphql";
import { mutationError } from "../../errors";
import { humanize } from "../../format";
import { ConfirmActions, Dialog } from "../../components/Dialog";
import { Empty } from "../../components/States";
import { ALERT_TYPES, eventLabel } from "./alertTypes";
import { ChannelForm, UpdateChannel, type Channel } from "./ChannelForm";

const DeleteChannel = graphql(`
  mutation DeleteNotificationChannel($id: ID!) {
    deleteNotificationChannel(id: $id) {
      __typename
      ...AppErrorFields
    }
  }
`);

const SendTest = graphql(`
  mutation SendTestNotification($channelId: ID!) {
    sendTestNotification(channelId: $channelId) {
      __typename
      ...AppErrorFields
      ... on SendTestNotificationSuccess {
        data {
          id
        }
      }
    }
  }
`);

type Notice = { ok: boolean; text: string };

const destination = (channel: Channel) => (channel.kind === "EMAIL" ? channel.recipients.join(", ") || "Users who opt in" : channel.url);
const carried = (channel: Channel) =>
  channel.events.length === ALERT_TYPES.length ? "All alerts" : channel.events.map(eventLabel).join(", ") || "None";

function ConfirmDelete({ channel, onClose, onDeleted }: { channel: Channel; onClose(): void; onDeleted(): void }) {
  const [error, setError] = useState<string | null>(null);
  const [result, remove] = useMutation(DeleteChannel);
  async function confirm() {
    const problem = mutationError(await remove({ id: channel.id }), "deleteNotificationChannel");
    if (problem) return setError(problem.message);
    onDeleted();
    onClose();
  }
  return (
    <ConfirmActions
      error={error}
      keepLabel="Keep channel"
      confirmLabel="Delete channel"
      busyLabel="Deleting…"
      busy={result.fetching}
      onConfirm={confirm}
      onClose={onClose}
    >
      <p>Its alerts stop at once, and its entries in the delivery log are deleted with it.</p>
    </ConfirmActions>
  );
}

/** Where the organization's alerts go. Owners and admins change them; everyone else reads. */
export function NotificationChannels({
  channels,
  canEdit,
  onChange,
  onTestSent,
}: {
  channels: Channel[];
  canEdit: boolean;
  onChange(): void;
  onTestSent(): void;
}) {
  const [editing, setEditing] = useState<Channel | "new" | null>(null);
  const [deleting, setDeleting] = useState<Channel | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [, update] = useMutation(UpdateChannel);
  const [, sendTest] = useMutation(SendTest);

  async function toggle(channel: Channel, enabled: boolean) {
    const problem = mutationError(await update({ id: channel.id, input: { enabled } }), "updateNotificationChannel");
    setNotice(problem && { ok: false, text: `“${channel.name}” was not changed: ${problem.message}` });
    onChange();
  }
  async function test(channel: Channel) {
    const problem = mutationError(await sendTest({ channelId: channel.id }), "sendTestNotification");
    setNotice(
      problem
        ? { ok: false, text: problem.message }
        : { ok: true, text: `Test sent to “${channel.name}”: its result shows in the delivery log.` },
    );
    if (!problem) onTestSent();
  }
  // Refreshes on any close: a new webhook is saved before its secret is shown, and that dialog may be closed with Escape.
  const closeForm = () => {
    setEditing(null);
    onChange();
  };

  return (
    <section className="card" aria-labelledby="channels-title">
      <h2 id="channels-title">Notification channels</h2>
      <p className="muted">
        Where alerts go: Slack, signed webhooks and email.{" "}
        {!canEdit && "Only owners and admins can add or change channels; ask one of them."}
      </p>
      {notice && (
        <p className={notice.ok ? "ok-note" : "field-error"} role={notice.ok ? "status" : "alert"}>
          {notice.text}
        </p>
      )}
      {channels.length === 0 && (
        <Empty title="No channels yet">{canEdit && <p>Add one to hear about finished jobs and budget alerts outside Tuneloop.</p>}</Empty>
      )}
      {channels.length > 0 && (
        <div className="table-wrap">
          <table className="table table-compact">
            <caption className="visually-hidden">Notification channels</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Sends to</th>
                <th scope="col">Alerts</th>
                <th scope="col">Enabled</th>
                {canEdit && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {channels.map((channel) => (
                <tr key={channel.id}>
                  <td>{channel.name}</td>
                  <td>{humanize(channel.kind)}</td>
                  <td className="destination">{destination(channel)}</td>
                  <td>{carried(channel)}</td>
                  <td>
                    {canEdit ? (
                      <input
                        type="checkbox"
                        checked={channel.enabled}
                        onChange={(e) => toggle(channel, e.target.checked)}
                        aria-label={`Enabled: ${channel.name}`}
                      />
                    ) : channel.enabled ? (
                      "Yes"
                    ) : (
                      "No"
                    )}
                  </td>
                  {canEdit && (
                    <td className="nowrap">
                      <button
                        type="button"
                        className="button button-quiet"
                        aria-label={`Edit ${channel.name}`}
                        onClick={() => setEditing(channel)}
                      >
                        Edit
                      </button>
                      <button
                        type="button"
                        className="button button-quiet"
                        aria-label={`Send test to ${channel.name}`}
                        onClick={() => test(channel)}
                      >
                        Send test
                      </button>
                      <button
                        type="button"
                        className="button button-danger-quiet"
                        aria-label={`Delete ${channel.name}`}
                        onClick={() => setDeleting(channel)}
                      >
                        Delete
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canEdit && (
        <div className="form-actions">
          <button type="button" className="button" onClick={() => setEditing("new")}>
            Add channel
          </button>
        </div>
      )}
      <Dialog
        title={editing === "new" ? "Add a notification channel" : `Edit “${editing?.name}”`}
        open={editing !== null}
        onClose={closeForm}
        wide
      >
        {editing && <ChannelForm channel={editing === "new" ? null : editing} onDone={closeForm} />}
      </Dialog>
      <Dialog title={`Delete “${deleting?.name}”?`} open={deleting !== null} onClose={() => setDeleting(null)}>
        {deleting && <ConfirmDelete channel={deleting} onClose={() => setDeleting(null)} onDeleted={onChange} />}
      </Dialog>
    </section>
  );
}
