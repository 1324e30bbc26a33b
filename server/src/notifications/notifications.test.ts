import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { Webhook } from "standardwebhooks";
import { buildApp, type App } from "../app.js";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { usingPostgres } from "@tuneloop/testing/database";
import { alertsOf, cancelLiveJobs, createMoneyJob, TestTrainer, TEST_GPU_CATALOG_FILE } from "@tuneloop/testing/moneyJobs";
import { waitFor } from "@tuneloop/testing/waitFor";
import { createOtherOrganization } from "@tuneloop/testing/fixtures";
import { queueDueDigests } from "./digest.js";
import { startHttpReceiver, startSmtpReceiver } from "@tuneloop/testing/standIns/notificationReceivers";

const ERR = `__typename ... on AppError { code message field }`;
const CREATE_CHANNEL = `mutation($i:NotificationChannelInput!){ createNotificationChannel(input:$i){ ${ERR}
  ... on CreateNotificationChannelSuccess { data { signingSecret channel { id name kind url recipients events enabled } } } } }`;
const DELIVERIES = `query($f:NotificationDeliveryFilter){ notificationDeliveries(filter:$f, first:200){ edges { node {
  id event recipient title status attempts lastError responseCode nextAttemptAt deliveredAt channel { id name kind } alert { id type } } } } }`;

type Gql = (query: string, variables?: Record<string, unknown>, token?: string | null) => Promise<any>;

async function createChannel(gql: Gql, token: string, input: Record<string, unknown>) {
  return (await gql(CREATE_CHANNEL, { i: input }, token)).data.createNotificationChannel;
}

async function deliveries(gql: Gql, token: string, filter: Record<string, unknown> | null = null) {
  return (await gql(DELIVERIES, { f: filter }, token)).data.notificationDeliveries.edges.map((e: any) => e.node);
}

/** A job of the demo engineer, run by a real worker and trainer until it completes. */
async function completeJob(app: TestApp, engineer: string, name: string) {
  const job = (await createMoneyJob(app, engineer, { name, start: true })).data;
  const trainer = await TestTrainer.claim(app, job.id);
  await trainer.startTraining();
  await trainer.complete();
  return job;
}

describe(`notifications (${usingPostgres() ? "PostgreSQL" : "SQLite"})`, () => {
  let app: TestApp;
  let http: Awaited<ReturnType<typeof startHttpReceiver>>;
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
  let owner: string;
  let engineer: string;
  let emailChannelId: string;
  let hookSecret: string;
  const gql: Gql = (...args) => app.gql(...args);

  beforeAll(async () => {
    // The webhook fails twice, Slack once, the mail server refuses its first message; "/down" always fails.
    http = await startHttpReceiver({ "/hook": 2, "/slack": 1, "/down": 1000 });
    smtp = await startSmtpReceiver(1);
    // The receivers listen on 127.0.0.1, which channels may reach only when allowed explicitly.
    app = await startTestApp({
      gpuCatalogFile: TEST_GPU_CATALOG_FILE,
      smtpUrl: smtp.url,
      smtpFrom: "Tuneloop <alerts@tuneloop.test>",
      notifyAllowHttp: true,
      notifyAllowedHosts: ["127.0.0.1"],
      notifyRetryBaseSeconds: 0.2,
      notifyPollMs: 100,
      notifyMaxAttempts: 4,
      digestHourUtc: 0,
    });
    [owner, engineer] = await Promise.all([app.login("owner"), app.login("engineer")]);
  });
  afterEach(() => cancelLiveJobs(app));
  afterAll(async () => {
    await app.stop();
    await Promise.all([http.close(), smtp.close()]);
  });

  it("lets owners add channels; a webhook's signing secret is shown once and no URL is ever returned whole", async () => {
    expect(
      (await gql(CREATE_CHANNEL, { i: { name: "x", kind: "SLACK", url: `${http.url}/slack` } }, engineer)).errors?.[0].extensions.code,
    ).toBe("FORBIDDEN");
    expect(await createChannel(gql, owner, { name: "bad", kind: "WEBHOOK", url: "ftp://example.com/x" })).toMatchObject({
      code: "VALIDATION",
      field: "url",
    });
    expect(await createChannel(gql, owner, { name: "bad", kind: "EMAIL", recipients: ["not an address"] })).toMatchObject({
      code: "VALIDATION",
      field: "recipients",
    });

    const slack = (await createChannel(gql, owner, { name: "Team Slack", kind: "SLACK", url: `${http.url}/slack` })).data;
    expect(slack.signingSecret).toBeNull();
    expect(slack.channel).toMatchObject({ kind: "SLACK", url: `http://127.0.0.1:${new URL(http.url).port}/…lack`, enabled: true });
    expect(slack.channel.events).toContain("BUDGET_95");
    const hook = (await createChannel(gql, owner, { name: "Ops webhook", kind: "WEBHOOK", url: `${http.url}/hook` })).data;
    expect(hook.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const email = (await createChannel(gql, owner, { name: "Finance mail", kind: "EMAIL", recipients: ["Finance@Acme.test"] })).data;
    expect(email.channel).toMatchObject({ kind: "EMAIL", url: null, recipients: ["finance@acme.test"] });
    emailChannelId = email.channel.id;
    await createChannel(gql, owner, { name: "Broken", kind: "WEBHOOK", url: `${http.url}/down`, events: ["JOB_COMPLETED"] });
    expect(await createChannel(gql, owner, { name: "Team Slack", kind: "SLACK", url: `${http.url}/slack` })).toMatchObject({
      code: "CONFLICT",
      field: "name",
    });

    // The secret is in no field of the schema, and the row keeps it only to sign.
    const listed = (await gql(`{ notificationChannels { id name url } }`, {}, engineer)).data.notificationChannels;
    expect(JSON.stringify(listed)).not.toContain(hook.signingSecret);
    expect(JSON.stringify(listed)).not.toContain("/hook");
    expect((await gql(`{ notificationChannels { secret } }`, {}, owner)).errors?.[0].message).toMatch(/Cannot query field "secret"/);
    hookSecret = hook.signingSecret;
  });

  it("delivers an alert to Slack, a signed webhook and email, retrying with backoff until each succeeds, and gives up on a dead endpoint", async () => {
    const job = await completeJob(app, engineer, "Advisor voice v3");
    const delivered = await waitFor(
      "every delivery to settle",
      async () => {
        const all = await deliveries(gql, engineer);
        return all.filter((d: any) => d.status === "PENDING").length === 0 && all.length === 5 ? all : null;
      },
      15_000,
    );

    const byChannel = (name: string) => delivered.filter((d: any) => d.channel.name === name);
    expect(byChannel("Ops webhook")).toMatchObject([
      { event: "JOB_COMPLETED", status: "DELIVERED", attempts: 3, responseCode: 200, lastError: null, nextAttemptAt: null },
    ]);
    expect(byChannel("Team Slack")).toMatchObject([{ status: "DELIVERED", attempts: 2, responseCode: 200 }]);
    expect(byChannel("Broken")).toMatchObject([
      { status: "FAILED", attempts: 4, responseCode: 503, nextAttemptAt: null, deliveredAt: null },
    ]);
    expect(byChannel("Broken")[0].lastError).toContain("answered 503");
    // Email: the fixed finance address, and the engineer who created the job (her role's default); not the owner.
    const mails = byChannel("Finance mail");
    expect(mails.map((d: any) => d.recipient).sort()).toEqual(["engineer@demo.tuneloop.dev", "finance@acme.test"]);
    expect(mails.every((d: any) => d.status === "DELIVERED" && d.responseCode === 250)).toBe(true);
    expect(mails.reduce((sum: number, d: any) => sum + d.attempts, 0)).toBe(3);
    expect(smtp.refused()).toBe(1);

    // The webhook: three attempts of one message (same id), each signed per Standard Webhooks.
    const hooks = http.on("/hook");
    expect(hooks.map((r) => r.answered)).toEqual([503, 503, 200]);
    expect(new Set(hooks.map((r) => r.headers["webhook-id"]))).toEqual(new Set([byChannel("Ops webhook")[0].id]));
    const last = hooks.at(-1)!;
    const verified = new Webhook(hookSecret).verify(last.body, last.headers as Record<string, string>) as any;
    expect(verified).toMatchObject({
      type: "alert.job_completed",
      data: { type: "JOB_COMPLETED", jobId: job.id, title: `"Advisor voice v3" completed` },
    });
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 1).toString("base64")}`).verify(last.body, last.headers as Record<string, string>),
    ).toThrow();
    // Exponential backoff from a 0.2 s base: at least 0.2 s before the first retry, 0.4 s before the second.
    expect(hooks[1].at - hooks[0].at).toBeGreaterThanOrEqual(200);
    expect(hooks[2].at - hooks[1].at).toBeGreaterThanOrEqual(400);

    const slackBody = JSON.parse(http.on("/slack").at(-1)!.body);
    expect(slackBody.text).toContain('"Advisor voice v3" completed');
    expect(slackBody.blocks[1]).toMatchObject({ type: "section", text: { type: "mrkdwn" } });
    const mail = smtp.mails.find((m) => m.to && JSON.stringify(m.to).includes("finance@acme.test"))!;
    expect(mail.subject).toBe('"Advisor voice v3" completed');
    expect(mail.from?.value[0]).toMatchObject({ name: "Tuneloop", address: "alerts@tuneloop.test" });
    expect(mail.text).toMatch(/Job "Advisor voice v3" completed for \$\d+\.\d{2}/);

    // The log can be filtered.
    expect(await deliveries(gql, engineer, { status: "FAILED" })).toHaveLength(1);
  });

  it("follows each user's preferences and sends a daily digest once a day", async () => {
    const PREFS = `mutation($e:[AlertType!],$c:[ID!],$d:Boolean){ updateNotificationPreferences(events:$e, channelIds:$c, dailyDigest:$d){ ${ERR}
      ... on UpdateNotificationPreferencesSuccess { data { events channelIds dailyDigest isDefault } } } }`;
    const before = (await gql(`{ myNotificationPreferences { events channelIds dailyDigest isDefault } }`, {}, engineer)).data
      .myNotificationPreferences;
    expect(before).toEqual({
      events: ["JOB_COMPLETED", "JOB_FAILED", "JOB_STALLED", "COST_OVERRUN"],
      channelIds: [emailChannelId],
      dailyDigest: false,
      isDefault: true,
    });
    expect((await gql(PREFS, { c: ["nope"] }, engineer)).data.updateNotificationPreferences).toMatchObject({
      code: "VALIDATION",
      field: "channelIds",
    });
    // The engineer now wants only failures, and a digest.
    expect((await gql(PREFS, { e: ["JOB_FAILED"], d: true }, engineer)).data.updateNotificationPreferences.data).toEqual({
      events: ["JOB_FAILED"],
      channelIds: [emailChannelId],
      dailyDigest: true,
      isDefault: false,
    });

    const already = smtp.mails.length;
    await completeJob(app, engineer, "Advisor voice v4");
    const settled = await waitFor(
      "the v4 emails",
      async () => {
        const mails = (await deliveries(gql, engineer)).filter((d: any) => d.channel.kind === "EMAIL" && d.title.includes("v4"));
        return mails.length && mails.every((d: any) => d.status === "DELIVERED") ? mails : null;
      },
      10_000,
    );
    expect(settled.map((d: any) => d.recipient)).toEqual(["finance@acme.test"]);
    await waitFor("the mail", async () => smtp.mails.length === already + 1, 5000);

    // The digest: one email a day to whoever asked for it.
    expect(await queueDueDigests(app.services)).toBe(1);
    expect(await queueDueDigests(app.services)).toBe(0);
    const digest = await waitFor("the digest", async () => smtp.mails.find((m) => m.subject?.startsWith("Tuneloop daily digest")), 5000);
    expect(JSON.stringify(digest.to)).toContain("engineer@demo.tuneloop.dev");
    expect(digest.text).toMatch(/Spend in \d{4}-\d{2}: \$\d+\.\d{2} of \$500\.00/);
    expect(digest.text).toContain("- Advisor voice v4: completed");
    expect(digest.text).toContain("Alerts:");
  });

  it("sends an owner's test message through the delivery log, to the organization's channels only", async () => {
    const SEND_TEST = `mutation($c:ID!){ sendTestNotification(channelId:$c){ ${ERR} ... on SendTestNotificationSuccess { data { id event title recipient status alert { id } } } } }`;
    const sendTest = async (channelId: string, token = owner) => (await gql(SEND_TEST, { c: channelId }, token)).data?.sendTestNotification;
    const channels: { id: string; name: string }[] = (await gql(`{ notificationChannels { id name } }`, {}, owner)).data
      .notificationChannels;
    const hook = channels.find((c) => c.name === "Ops webhook")!;
    expect((await gql(SEND_TEST, { c: hook.id }, engineer)).errors?.[0].extensions.code).toBe("FORBIDDEN");
    expect(await sendTest("nope")).toMatchObject({ code: "NOT_FOUND", field: "channelId" });
    await createOtherOrganization(app);
    const rival = await app.services.db.organization.findFirstOrThrow({ where: { name: "Rival Corp" } });
    const theirs = await app.services.db.notificationChannel.create({
      data: {
        orgId: rival.id,
        name: "Rival hook",
        kind: "WEBHOOK",
        url: `${http.url}/rival`,
        secret: "whsec_x",
        recipients: [],
        events: [],
      },
    });
    expect(await sendTest(theirs.id)).toMatchObject({ code: "NOT_FOUND", field: "channelId" });

    // A webhook: one signed request, logged like an alert's (without an alert).
    const [queued] = (await sendTest(hook.id)).data;
    expect(queued).toMatchObject({ event: "TEST", title: 'Test message for "Ops webhook"', recipient: null, alert: null });
    const sent = await waitFor(
      "the test webhook",
      async () => (await deliveries(gql, owner, { channelId: hook.id })).find((d: any) => d.id === queued.id && d.status === "DELIVERED"),
      5000,
    );
    expect(sent).toMatchObject({ attempts: 1, responseCode: 200, lastError: null, nextAttemptAt: null });
    const received = http.on("/hook").at(-1)!;
    expect(received.headers["webhook-id"]).toBe(queued.id);
    expect(new Webhook(hookSecret).verify(received.body, received.headers as Record<string, string>)).toMatchObject({
      type: "alert.test",
      data: { type: "TEST", channelId: hook.id },
    });
    expect(http.on("/rival")).toHaveLength(0);

    // An email channel: its fixed address and the owner who asked.
    const mails = (await sendTest(emailChannelId)).data;
    expect(mails.map((d: any) => d.recipient)).toEqual(["finance@acme.test", "owner@demo.tuneloop.dev"]);
    await waitFor(
      "the test emails",
      async () =>
        (await deliveries(gql, owner, { channelId: emailChannelId, status: "DELIVERED" })).filter((d: any) => d.event === "TEST").length ===
        2,
      5000,
    );
    expect(smtp.mails.filter((m) => m.subject === 'Test message for "Finance mail"')).toHaveLength(2);
  });

  it("escapes user text in Slack messages: a job name cannot mention @channel or plant a link", async () => {
    const name = "<!channel> <https://evil.test|Click> & co";
    await completeJob(app, engineer, name);
    const slack = await waitFor(
      "the Slack message",
      async () =>
        http
          .on("/slack")
          .map((r) => JSON.parse(r.body))
          .find((b) => b.blocks[0].text.text.includes("evil.test")),
      10_000,
    );
    const escaped = "&lt;!channel&gt; &lt;https://evil.test|Click&gt; &amp; co";
    expect(slack.text).toContain(escaped);
    expect(slack.blocks[1].text.text).toContain(escaped);
    expect(`${slack.text}${slack.blocks[1].text.text}`).not.toMatch(/[<>]/);
  });

  it("alerts once when a running job stops reporting", async () => {
    const quick = await startTestApp({ gpuCatalogFile: TEST_GPU_CATALOG_FILE, stallSeconds: 1 });
    try {
      const token = await quick.login("engineer");
      const job = (await createMoneyJob(quick, token, { name: "goes quiet", start: true })).data;
      const trainer = await TestTrainer.claim(quick, job.id);
      await trainer.startTraining();
      const stalled = await waitFor("the stall alert", async () => (await alertsOf(quick, token, ["JOB_STALLED"]))[0], 10_000);
      expect(stalled).toMatchObject({ jobId: job.id });
      expect(stalled.message).toMatch(/^Job "goes quiet" has sent no report since .* while training\. It is still billed/);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(await alertsOf(quick, token, ["JOB_STALLED"])).toHaveLength(1);
    } finally {
      await quick.stop();
    }
  });

  it("keeps undelivered notifications in the database: a restarted server sends them", async () => {
    // This instance owns the database; it only looks for due deliveries once an hour.
    const host = await startTestApp({ gpuCatalogFile: TEST_GPU_CATALOG_FILE, notifyPollMs: 3_600_000 });
    const receiver = await startHttpReceiver();
    receiver.state.down = true;
    const config = {
      ...host.services.config,
      notifyAllowHttp: true,
      notifyAllowedHosts: ["127.0.0.0/8"],
      notifyRetryBaseSeconds: 1,
      notifyPollMs: 100,
    };
    const servers: App[] = [];
    const serve = async () => {
      const server = await buildApp(config);
      await server.start(0);
      servers.push(server);
      return (query: string, variables?: Record<string, unknown>, token?: string | null) =>
        fetch(`${server.url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
          body: JSON.stringify({ query, variables }),
        }).then((r) => r.json());
    };
    try {
      const first = await serve();
      const token = (await first(`mutation{ login(email:"owner@demo.tuneloop.dev", password:"demo"){ token } }`)).data.login.token;
      await createChannel(first, token, { name: "Receiver", kind: "WEBHOOK", url: `${receiver.url}/in`, events: ["APPROVAL_REQUESTED"] });
      // Every job now needs an owner's approval: starting one raises an alert.
      await first(`mutation{ updateBudget(input:{ jobApprovalUsd: 0 }){ __typename } }`, {}, token);
      const datasetId = (await first(`{ datasets { edges { node { id } } } }`, {}, token)).data.datasets.edges[0].node.id;
      await first(
        `mutation($d:ID!){ createTrainingJob(input:{ name:"big one", start:true, settings:{ datasetId:$d } }){ __typename } }`,
        { d: datasetId },
        token,
      );
      const pending = await waitFor(
        "the first attempt",
        async () => {
          const rows = await deliveries(first, token);
          return rows[0]?.attempts === 1 ? rows[0] : null;
        },
        5000,
      );
      expect(pending).toMatchObject({ event: "APPROVAL_REQUESTED", status: "PENDING", responseCode: 503 });
      await servers[0].stop();

      receiver.state.down = false;
      const second = await serve();
      const sent = await waitFor(
        "delivery after the restart",
        async () => {
          const rows = await deliveries(second, token);
          return rows[0]?.status === "DELIVERED" ? rows[0] : null;
        },
        10_000,
      );
      expect(sent).toMatchObject({ id: pending.id, attempts: 2 });
      expect(receiver.requests.map((r) => r.answered)).toEqual([503, 200]);
      expect(new Set(receiver.requests.map((r) => r.headers["webhook-id"]))).toEqual(new Set([pending.id]));
    } finally {
      await servers.at(-1)?.stop();
      await receiver.close();
      await host.stop();
    }
  });
});

describe(`outbound requests (${usingPostgres() ? "PostgreSQL" : "SQLite"})`, () => {
  it("refuses channel URLs that lead into the server's own network, when saved and again after DNS at every send", async () => {
    const receiver = await startHttpReceiver();
    // No NOTIFY_ALLOWED_HOSTS here: loopback is as forbidden as a production server's private network.
    const app = await startTestApp({
      gpuCatalogFile: TEST_GPU_CATALOG_FILE,
      notifyAllowHttp: true,
      notifyPollMs: 100,
      notifyMaxAttempts: 1,
    });
    try {
      const owner = await app.login("owner");
      const gql: Gql = (...args) => app.gql(...args);
      const port = new URL(receiver.url).port;
      const inside = [
        receiver.url,
        `http://localhost:${port}/`,
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/",
        "http://[::1]:8080/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fd00:ec2::254]/",
        "http://100.100.100.200/",
        "http://0.0.0.0/",
      ];
      for (const url of inside) {
        const refused = await createChannel(gql, owner, { name: "internal", kind: "SLACK", url });
        expect(refused, url).toMatchObject({ code: "VALIDATION", field: "url" });
        expect(refused.message).toContain("NOTIFY_ALLOWED_HOSTS");
      }
      // A host that pointed elsewhere when the channel was saved and now resolves to loopback (DNS rebinding): the connection is refused.
      const org = await app.services.db.organization.findFirstOrThrow({ where: { slug: "demo" } });
      const channel = await app.services.db.notificationChannel.create({
        data: { orgId: org.id, name: "Rebound", kind: "SLACK", url: `http://localhost:${port}/in`, recipients: [], events: [] },
      });
      await gql(`mutation($c:ID!){ sendTestNotification(channelId:$c){ __typename } }`, { c: channel.id }, owner);
      const failed = await waitFor(
        "the refused delivery",
        async () => (await deliveries(gql, owner, { channelId: channel.id, status: "FAILED" }))[0],
        10_000,
      );
      expect(failed.lastError).toMatch(/localhost is a private or local address \((127\.0\.0\.1|::1)\)/);
      expect(receiver.requests).toHaveLength(0);
    } finally {
      await app.stop();
      await receiver.close();
    }
  });
});
