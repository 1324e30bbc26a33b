// Where notification webhooks may connect. A channel's URL is chosen by a
// customer, so it must not reach the server's own network: loopback, private,
// link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, multicast
// and reserved addresses are refused after DNS resolution, and the request
// connects to the very address that was checked (no second lookup to rebind).
// NOTIFY_ALLOWED_HOSTS names internal receivers that are allowed anyway.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { BlockList, isIP } from "node:net";

const FORBIDDEN = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  FORBIDDEN.addSubnet(network, prefix, "ipv4");
}
// Unspecified, loopback, IPv4-mapped and NAT64 (they lead to IPv4 addresses), unique-local (AWS metadata fd00:ec2::254), link-local, multicast.
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["::ffff:0:0", 96],
  ["64:ff9b::", 96],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const) {
  FORBIDDEN.addSubnet(network, prefix, "ipv6");
}

export class DestinationRefused extends Error {}

/** The rule for one server: NOTIFY_ALLOWED_HOSTS entries are host names, addresses or CIDR ranges. */
export function destinationRule(allowedHosts: string[]) {
  const names = new Set<string>();
  const allowed = new BlockList();
  for (const entry of allowedHosts) {
    const [address, prefix] = entry.split("/");
    const family = isIP(address);
    if (!family) names.add(entry);
    else allowed.addSubnet(address, prefix ? Number(prefix) : family === 4 ? 32 : 128, family === 4 ? "ipv4" : "ipv6");
  }
  const check = (host: string, address: string) => {
    const family = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (FORBIDDEN.check(address, family) && !allowed.check(address, family)) {
      throw new DestinationRefused(
        `${host} is a private or local address (${address}); allow internal receivers with NOTIFY_ALLOWED_HOSTS`,
      );
    }
  };
  return {
    /** Whether the URL's host is trusted by name: then no address check applies. */
    trusts: (hostname: string) => names.has(hostname.toLowerCase()),
    /** Refuses an address literal in a URL (connections to literals skip DNS, so lookup() never sees them). */
    checkLiteral(hostname: string) {
      const bare = hostname.replace(/^\[|\]$/g, "");
      if (isIP(bare) && !names.has(bare)) check(bare, bare);
    },
    /** A dns.lookup for http.request: resolves, refuses when any address is forbidden, and hands the checked addresses to the connection. */
    lookup(
      hostname: string,
      options: LookupOptions,
      callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
    ) {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
        if (error) return callback(error, []);
        try {
          for (const a of addresses) check(hostname, a.address);
        } catch (refusal) {
          return callback(refusal as Error, []);
        }
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0].address, addresses[0].family);
      });
    },
  };
}

/** For a channel's URL when it is saved: refused at once when it names or resolves to a forbidden address (an unknown host is checked again at every send). */
export async function checkDestination(allowedHosts: string[], url: URL): Promise<void> {
  const rule = destinationRule(allowedHosts);
  if (rule.trusts(url.hostname)) return;
  rule.checkLiteral(url.hostname);
  if (isIP(url.hostname.replace(/^\[|\]$/g, ""))) return;
  await new Promise<void>((resolve, reject) =>
    rule.lookup(url.hostname, { all: true }, (error) => (error instanceof DestinationRefused ? reject(error) : resolve())),
  );
}
