import { useState } from "react";
import { useQuery } from "urql";
import { graphql } from "../../graphql";
import { ApiKeys } from "./ApiKeys";
import { NotificationChannels } from "./NotificationChannels";
import { MyNotifications } from "./MyNotifications";
import { DeliveryLog } from "./DeliveryLog";
import { MyAccount } from "./MyAccount";
import { Members } from "./Members";
import { ServiceAccounts } from "./ServiceAccounts";
import { AuditLog } from "./AuditLog";
import { SingleSignOn } from "./SingleSignOn";
import { ComputeSettings } from "./ComputeSettings";
import { ErrorMessage, Loading } from "../../components/States";
import { useMe } from "../../components/Layout";
import { usePageTitle } from "../../hooks/usePageTitle";
import "./settings.css";

const ChannelsQuery = graphql(`
  query NotificationChannels {
    notificationChannels {
      id
      name
      kind
      url
      recipients
      events
      enabled
    }
  }
`);

/** API keys, where alerts go, what reaches me, and what was sent. */
export function SettingsPage() {
  usePageTitle("Settings");
  const me = useMe();
  const canEditChannels = Boolean(me?.permissions.canManage);
  const [{ data, error, fetching }, refetch] = useQuery({ query: ChannelsQuery });
  const [testsSent, setTestsSent] = useState(0);
  const refresh = () => refetch({ requestPolicy: "network-only" });
  const channels = data?.notificationChannels;

  return (
    <section className="page" aria-labelledby="settings-title">
      <div className="page-header">
        <h1 id="settings-title">Settings</h1>
      </div>
      {me && <MyAccount name={me.name} />}
      {me && canEditChannels && <Members />}
      {me && canEditChannels && <ServiceAccounts />}
      {me && canEditChannels && <SingleSignOn />}
      {me && canEditChannels && <ComputeSettings />}
      <ApiKeys />
      {error && <ErrorMessage error={error} retry={refresh} />}
      {!channels && fetching && <Loading label="Loading notification channels…" />}
      {channels && (
        <>
          <NotificationChannels
            channels={channels}
            canEdit={canEditChannels}
            onChange={refresh}
            onTestSent={() => setTestsSent((n) => n + 1)}
          />
          <MyNotifications emailChannels={channels.filter((c) => c.kind === "EMAIL")} />
          <DeliveryLog channels={channels} refreshKey={testsSent} />
        </>
      )}
      {me?.permissions.canReadAuditLog && <AuditLog />}
    </section>
  );
}
