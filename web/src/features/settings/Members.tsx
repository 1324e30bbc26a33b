import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../graphql";
import type { Role } from "../../graphql/graphql";
import { mutationError } from "../../errors";
import { formatDateTime, humanize } from "../../format";
import { ConfirmActions, Dialog } from "../../components/Dialog";
import { ErrorMessage, FieldMessage, Loading } from "../../components/States";
import { useMe } from "../../components/Layout";
import { RoleSelect } from "./RoleSelect";
import { SecretOnce } from "./SecretOnce";

const MembersQuery = graphql(`
  query Members {
    me {
      id
      organization {
        id
        members {
          id
          name
          email
          role
          deactivatedAt
        }
      }
    }
    invitations {
      id
      email
      role
      status
      expiresAt
      invitedBy {
        id
        name
      }
    }
  }
`);

const InviteMember = graphql(`
  mutation InviteMember($email: String!, $role: Role!) {
    inviteMember(email: $email, role: $role) {
      __typename
      ...AppErrorFields
      ... on InviteMemberSuccess {
        data {
          emailSent
          link
        }
      }
    }
  }
`);
const ResendInvitation = graphql(`
  mutation ResendInvitation($id: ID!) {
    resendInvitation(id: $id) {
      __typename
      ...AppErrorFields
      ... on ResendInvitationSuccess {
        data {
          emailSent
          link
        }
      }
    }
  }
`);
const RevokeInvitation = graphql(`
  mutation RevokeInvitation($id: ID!) {
    revokeInvitation(id: $id) {
      __typename
      ...AppErrorFields
    }
  }
`);
const ChangeMemberRole = graphql(`
  mutation ChangeMemberRole($userId: ID!, $role: Role!) {
    changeMemberRole(userId: $userId, role: $role) {
      __typename
      ...AppErrorFields
    }
  }
`);
const DeactivateMember = graphql(`
  mutation DeactivateMember($userId: ID!) {
    deactivateMember(userId: $userId) {
      __typename
      ...AppErrorFields
    }
  }
`);
const ReactivateMember = graphql(`
  mutation ReactivateMember($userId: ID!) {
    reactivateMember(userId: $userId) {
      __typename
      ...AppErrorFields
    }
  }
`);

type Member = { id: string; name: string; email: string; role: Role; deactivatedAt?: string | null };
type Sent = { emailSent: boolean; link?: string | null; email: string };

function SentNotice({ sent, onDone }: { sent: Sent; onDone(): void }) {
  if (sent.emailSent)
    return (
      <p className="ok-note" role="status">
        Invitation emailed to {sent.email}. The link works once, for 7 days.
      </p>
    );
  return <SecretOnce label={`No email could be sent: give ${sent.email} this invitation link`} secret={sent.link ?? ""} onDone={onDone} />;
}

function InviteForm({ roles, onInvited }: { roles: Role[]; onInvited(sent: Sent): void }) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>(roles[0]);
  const [error, setError] = useState<{ message: string; field?: string | null } | null>(null);
  const [result, invite] = useMutation(InviteMember);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    const response = await invite({ email, role });
    const problem = mutationError(response, "inviteMember");
    if (problem) return setError(problem);
    const payload = response.data?.inviteMember;
    if (payload?.__typename === "InviteMemberSuccess") onInvited({ ...payload.data, email: email.trim().toLowerCase() });
    setEmail("");
  }
  return (
    <form className="field-row" onSubmit={submit} aria-label="Invite a member" noValidate>
      <div className="field">
        <label htmlFor="invite-email">Email</label>
        <input
          id="invite-email"
          type="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          aria-invalid={error?.field === "email"}
          aria-describedby="invite-message"
        />
      </div>
      <div className="field">
        <label htmlFor="invite-role">Role</label>
        <RoleSelect id="invite-role" roles={roles} value={role} onChange={setRole} />
      </div>
      <button type="submit" className="button button-primary" disabled={result.fetching}>
        {result.fetching ? "Sending…" : "Send invitation"}
      </button>
      <FieldMessage id="invite-message" error={error?.message} />
    </form>
  );
}

function ConfirmRemove({ member, onClose, onRemoved }: { member: Member; onClose(): void; onRemoved(): void }) {
  const [error, setError] = useState<string | null>(null);
  const [result, deactivate] = useMutation(DeactivateMember);
  async function confirm() {
    const problem = mutationError(await deactivate({ userId: member.id }), "deactivateMember");
    if (problem) return setError(problem.message);
    onRemoved();
    onClose();
  }
  return (
    <ConfirmActions
      error={error}
      keepLabel="Keep member"
      confirmLabel="Remove member"
      busyLabel="Removing…"
      busy={result.fetching}
      onConfirm={confirm}
      onClose={onClose}
    >
      <p>
        {member.name} is signed out everywhere now and their API keys stop working. The jobs, datasets and models they made stay, under
        their name. You can let them back in later.
      </p>
    </ConfirmActions>
  );
}

/** Owners and admins: who is in the organization, with which role; invitations. */
export function Members() {
  // The roles offered come with the viewer's permissions: nothing to offer before they arrive.
  const me = useMe();
  return me ? <MembersWith grantable={me.permissions.grantableRoles} /> : <Loading label="Loading members…" />;
}

function MembersWith({ grantable }: { grantable: Role[] }) {
  const [{ data, error, fetching }, refetch] = useQuery({ query: MembersQuery });
  const [sent, setSent] = useState<Sent | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [, changeRole] = useMutation(ChangeMemberRole);
  const [, reactivate] = useMutation(ReactivateMember);
  const [, resend] = useMutation(ResendInvitation);
  const [, revoke] = useMutation(RevokeInvitation);
  const refresh = () => refetch({ requestPolicy: "network-only" });

  /** Shows a refusal (or clears the last one) and reloads the lists. */
  function report(response: Parameters<typeof mutationError>[0], field: string) {
    const failure = mutationError(response, field);
    setProblem(failure?.message ?? null);
    refresh();
    return !failure;
  }
  async function resendInvitation(id: string, email: string) {
    const response = await resend({ id });
    const payload = response.data?.resendInvitation;
    if (report(response, "resendInvitation") && payload?.__typename === "ResendInvitationSuccess") setSent({ ...payload.data, email });
  }

  const members = data?.me?.organization.members ?? [];
  const pending = (data?.invitations ?? []).filter((i) => i.status !== "REVOKED");
  return (
    <section className="card" aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      <p className="muted">
        Invite people by email with a role. You can give the roles yours allows; the last owner or admin keeps their role.
      </p>
      {error && <ErrorMessage error={error} retry={refresh} />}
      {!data && fetching && <Loading label="Loading members…" />}
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
      {members.length > 0 && (
        <div className="table-wrap">
          <table className="table table-compact">
            <caption className="visually-hidden">Members</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {members.map((m) => {
                const manageable = grantable.includes(m.role) && m.id !== data?.me?.id;
                return (
                  <tr key={m.id}>
                    <td>{m.name}</td>
                    <td>{m.email}</td>
                    <td>
                      {manageable && !m.deactivatedAt ? (
                        <RoleSelect
                          aria-label={`Role of ${m.name}`}
                          roles={grantable}
                          value={m.role}
                          onChange={async (role) => report(await changeRole({ userId: m.id, role }), "changeMemberRole")}
                        />
                      ) : (
                        humanize(m.role)
                      )}
                    </td>
                    <td>
                      {m.deactivatedAt ? `Removed ${formatDateTime(m.deactivatedAt)} ` : "Active "}
                      {manageable &&
                        (m.deactivatedAt ? (
                          <button
                            type="button"
                            className="button"
                            onClick={async () => report(await reactivate({ userId: m.id }), "reactivateMember")}
                          >
                            Let back in
                          </button>
                        ) : (
                          <button
                            type="button"
                            className="button button-danger-quiet"
                            aria-label={`Remove ${m.name}`}
                            onClick={() => setRemoving(m)}
                          >
                            Remove
                          </button>
                        ))}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <h3>Invitations</h3>
      {data && pending.length === 0 && <p className="muted">No pending invitations.</p>}
      {pending.length > 0 && (
        <div className="table-wrap">
          <table className="table table-compact" aria-label="Invitations">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Invited by</th>
                <th scope="col">Link</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {pending.map((i) => (
                <tr key={i.id}>
                  <td>{i.email}</td>
                  <td>{humanize(i.role)}</td>
                  <td>{i.invitedBy?.name ?? "—"}</td>
                  <td>{i.status === "EXPIRED" ? "Expired" : `Valid until ${formatDateTime(i.expiresAt)}`}</td>
                  <td>
                    <button
                      type="button"
                      className="button"
                      aria-label={`Re-send to ${i.email}`}
                      onClick={() => resendInvitation(i.id, i.email)}
                    >
                      Re-send
                    </button>{" "}
                    <button
                      type="button"
                      className="button button-danger-quiet"
                      aria-label={`Withdraw invitation of ${i.email}`}
                      onClick={async () => report(await revoke({ id: i.id }), "revokeInvitation")}
                    >
                      Withdraw
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {sent && <SentNotice sent={sent} onDone={() => setSent(null)} />}
      <InviteForm
        roles={grantable}
        onInvited={(s) => {
          setSent(s);
          refresh();
        }}
      />
      <Dialog title={`Remove ${removing?.name}?`} open={removing !== null} onClose={() => setRemoving(null)}>
        {removing && <ConfirmRemove member={removing} onClose={() => setRemoving(null)} onRemoved={refresh} />}
      </Dialog>
    </section>
  );
}
