// Which network addresses custos may send an agent's action to. A provider URL comes from
// configuration and connectors, so it must not become a way to reach custos's own network
// (loopback, RFC 1918, cloud metadata at 169.254.169.254, ...): only public unicast addresses are
// reachable, plus ranges an operator allows by name. The check runs on the exact address a socket
// will use, which is why name resolution goes through guardedLookup below and not a separate
// "resolve, check, then connect" step (a second resolution could answer differently: DNS rebinding).
import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Allowed ranges, parsed once. */
export interface AllowedRanges {
  readonly cidrs: ReadonlyArray<readonly [Address, number]>;
}

/** Parses allowed CIDR ranges; a bad one throws a plain Error naming it (ranges are not secret). */
export function parseAllowedRanges(ranges: readonly string[]): AllowedRanges {
  const cidrs = ranges.map((text): readonly [Address, number] => {
    let parsed: [Address, number];
    try {
      parsed = ipaddr.parseCIDR(text.trim());
    } catch {
      throw new Error(`egress: allowed range ${JSON.stringify(text)} is not a CIDR range like 10.0.0.0/8 or fd00::/8`);
    }
    const [base, bits] = parsed;
    // Addresses are compared in IPv4 form when they are IPv4-mapped, so a mapped range must be too,
    // or '::ffff:10.0.0.0/104' would silently match nothing.
    if (base.kind() === 'ipv6' && bits >= 96 && (base as ipaddr.IPv6).isIPv4MappedAddress()) {
      return [(base as ipaddr.IPv6).toIPv4Address(), bits - 96];
    }
    return [base, bits];
  });
  return { cidrs };
}

/** The address as it will be classified: IPv4-mapped IPv6 becomes the IPv4 it stands for. */
function normalise(ip: string): Address | null {
  // net.isIP is what Node itself accepts as an address; ipaddr.js alone would also take forms
  // like '0x7f.1' that Node would send to the resolver instead.
  if (net.isIP(ip) === 0) return null;
  try {
    return ipaddr.process(ip);
  } catch {
    return null;
  }
}

/** null when the address may be reached, else a short reason token ('loopback', 'private', ...). */
export function classify(ip: string, allowed: AllowedRanges): string | null {
  const address = normalise(ip);
  if (address === null) return 'invalid';
  for (const [base, bits] of allowed.cidrs) {
    // ipaddr.js throws when asked to match an IPv4 address against an IPv6 range.
    if (base.kind() === address.kind() && address.match(base, bits)) return null;
  }
  const range = address.range();
  // IPv4-compatible IPv6 (::a.b.c.d, deprecated) embeds an IPv4 address; ipaddr.js calls it unicast.
  if (range === 'unicast' && address.kind() === 'ipv6' && address.match(ipaddr.parseCIDR('::/96'))) return 'ipv4Compatible';
  // Anything but public unicast is refused, including the IPv6 forms that embed an IPv4 address
  // (6to4, Teredo, NAT64/rfc6052): they could carry a private one through a translator.
  return range === 'unicast' ? null : range;
}

/** Whether an IP (v4 or v6 text) may be reached under the policy: null if so, else the reason. */
export function refusedReason(ip: string, policy: { readonly allowedRanges: readonly string[] }): string | null {
  return classify(ip, parseAllowedRanges(policy.allowedRanges));
}

type Resolver = (hostname: string, options: dns.LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void) => void;

/** The error a refused resolution hands to the socket; its message is fixed and names no host. */
export class RefusedAddressError extends Error {
  readonly code = 'EGRESS_ADDRESS_REFUSED';
  readonly reason: string;
  constructor(reason: string) {
    super('address refused by the egress policy');
    this.name = 'RefusedAddressError';
    this.reason = reason;
  }
}

/**
 * A `lookup` for net/tls/https that resolves every address of the name and refuses them all if any
 * is refused: a name answering with one public and one private address could otherwise land on
 * the private one (happy eyeballs tries them in turn). Node calls it with `all: true` when
 * autoSelectFamily is on (the default) and without it otherwise, so both answers are supported.
 */
export function guardedLookup(allowed: AllowedRanges, resolve: Resolver = dns.lookup): net.LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      if (addresses.length === 0) {
        const notFound: NodeJS.ErrnoException = new Error('no address for the name');
        notFound.code = 'ENOTFOUND';
        return callback(notFound, []);
      }
      for (const { address } of addresses) {
        const reason = classify(address, allowed);
        if (reason !== null) return callback(new RefusedAddressError(reason), []);
      }
      if (options.all) return callback(null, addresses);
      const [first] = addresses as [dns.LookupAddress];
      callback(null, first.address, first.family);
    });
  };
}
