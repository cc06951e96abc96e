/**
 * Which network addresses an event handler may be reached at. Loopback is always allowed (webhooks
 * to localhost are a Lapis feature); private, shared, link-local and unique-local ranges only when
 * the operator allows them; unspecified, multicast and reserved addresses never. Ranges come from
 * ipaddr.js, which also knows the IPv6 forms that carry an IPv4 address (IPv4-mapped and
 * -translated, IPv4-compatible, NAT64, 6to4, Teredo): those are judged by the IPv4 they carry, so
 * `64:ff9b::a9fe:a9fe` is the metadata address, not a public one.
 *
 * The check runs on the address actually connected to: `guardedLookup` is the agents' `lookup`
 * (every new socket's DNS answer), and http.ts checks each socket's remote address on connect.
 */
import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { TargetRefused } from './errors.ts';

export { TargetRefused } from './errors.ts';

export type AddressClass = 'loopback' | 'private' | 'link-local' | 'public' | 'forbidden';

const V4_CLASSES: Record<string, AddressClass> = {
  loopback: 'loopback',
  private: 'private',
  carrierGradeNat: 'private', // RFC 6598 shared address space
  linkLocal: 'link-local',    // includes 169.254.169.254 (instance metadata)
  unspecified: 'forbidden',
  broadcast: 'forbidden',
  multicast: 'forbidden',
  reserved: 'forbidden',      // documentation, 240/4, IETF assignments (benchmarking is handled below)
  as112: 'public',
  amt: 'public',
  unicast: 'public',
};

const V6_CLASSES: Record<string, AddressClass> = {
  loopback: 'loopback',
  uniqueLocal: 'private',          // fc00::/7
  deprecatedSiteLocal: 'private',  // fec0::/10
  benchmarking: 'private',         // 2001:2::/48
  linkLocal: 'link-local',         // fe80::/10
  unspecified: 'forbidden',
  multicast: 'forbidden',
  discard: 'forbidden',
  reserved: 'forbidden',           // documentation 2001:db8::/32, 3fff::/20, 2001::/23 outside Teredo
  deprecatedOrchid: 'forbidden',
  orchid2: 'forbidden',
  droneRemoteIdProtocolEntityTags: 'forbidden',
  segmentRouting: 'forbidden',
  amt: 'public',
  as112v6: 'public',
  unicast: 'public',
};

/** RFC 2544 benchmarking (198.18.0.0/15) was always private here, not forbidden: lab networks use it. */
const BENCHMARKING_V4 = ipaddr.parseCIDR('198.18.0.0/15');

function classifyV4(ip: ipaddr.IPv4): AddressClass {
  if (ip.match(BENCHMARKING_V4 as [ipaddr.IPv4, number])) return 'private';
  return V4_CLASSES[ip.range()] ?? 'forbidden';
}

function v4From(hi: number, lo: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

const STRICTNESS: AddressClass[] = ['public', 'loopback', 'private', 'link-local', 'forbidden'];

/**
 * An IPv4 address reached through a translator or tunnel (NAT64, 6to4, Teredo, IPv4-compatible):
 * its loopback is some other machine's loopback, so it is never allowed.
 */
function carried(...v4s: ipaddr.IPv4[]): AddressClass {
  let worst: AddressClass = 'public';
  for (const v4 of v4s) {
    let c = classifyV4(v4);
    if (c === 'loopback') c = 'forbidden';
    if (STRICTNESS.indexOf(c) > STRICTNESS.indexOf(worst)) worst = c;
  }
  return worst;
}

function classifyV6(ip: ipaddr.IPv6): AddressClass {
  const p = ip.parts;
  const range = ip.range();
  switch (range) {
    case 'ipv4Mapped': return classifyV4(ip.toIPv4Address()); // ::ffff:a.b.c.d is that IPv4 on a dual-stack socket
    case 'rfc6145': return carried(v4From(p[6]!, p[7]!));     // ::ffff:0:a.b.c.d (IPv4-translated)
    case 'rfc6052':
      // 64:ff9b::/96 carries the IPv4 in its last 32 bits; the local-use 64:ff9b:1::/48 may map
      // anywhere inside the operator's network.
      return p[2] === 0 ? carried(v4From(p[6]!, p[7]!)) : 'private';
    case '6to4': return carried(v4From(p[1]!, p[2]!));        // 2002:AABB:CCDD::/48
    case 'teredo':                                            // server in bits 32–63, client (inverted) in 96–127
      return carried(v4From(p[2]!, p[3]!), v4From(p[6]! ^ 0xffff, p[7]! ^ 0xffff));
    default: break;
  }
  // IPv4-compatible ::a.b.c.d (deprecated, RFC 4291 §2.5.5.1): everything but the last 32 bits zero.
  if (range === 'unicast' && p.slice(0, 6).every((x) => x === 0)) return carried(v4From(p[6]!, p[7]!));
  return V6_CLASSES[range] ?? 'forbidden';
}

export function classifyAddress(ip: string): AddressClass {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // Only the strict textual forms: `ipaddr.parse` would also take `0x7f.1` or `127.1`.
    if (ipaddr.IPv4.isValidFourPartDecimal(ip)) parsed = ipaddr.IPv4.parse(ip);
    else if (ipaddr.IPv6.isValid(ip)) parsed = ipaddr.IPv6.parse(dottedTailToHex(ip));
    else return 'forbidden';
  } catch {
    return 'forbidden';
  }
  return parsed.kind() === 'ipv4' ? classifyV4(parsed as ipaddr.IPv4) : classifyV6(parsed as ipaddr.IPv6);
}

/**
 * ipaddr.js reads every dotted IPv4 tail as IPv4-mapped (`::127.0.0.1` becomes `::ffff:127.0.0.1`),
 * but `::a.b.c.d` is the IPv4-compatible form: spell the tail as two hex groups, as the socket does.
 */
function dottedTailToHex(ip: string): string {
  const m = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return ip;
  const [a, b, c, d] = [m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number];
  return `${m[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

/** Undefined when allowed, else why not. */
export function refuseAddress(ip: string, allowPrivate: boolean): string | undefined {
  const c = classifyAddress(ip);
  if (c === 'loopback' || c === 'public') return undefined;
  if ((c === 'private' || c === 'link-local') && allowPrivate) return undefined;
  if (c === 'forbidden') return `the address ${ip} cannot be used for event handlers`;
  return `the address ${ip} is a ${c} address; set allowPrivateTargets to deliver events to private networks`;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
/** `dns.lookup` with `all: true`; replaceable in tests to play a rebinding DNS server. */
export type ResolveAll = (hostname: string, options: { family?: number | string }, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

const systemResolve: ResolveAll = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true } as never, callback as never);
};

/**
 * A `lookup` for sockets (an agent option): resolves every address and refuses the connection if
 * any answer is disallowed, so each new socket is checked against the address it will connect to
 * (a name that answered a public address once and a private one now is refused now).
 */
export function guardedLookup(allowPrivate: boolean, resolve: ResolveAll = systemResolve) {
  return (hostname: string, options: { all?: boolean; family?: number | string }, callback: LookupCallback): void => {
    resolve(hostname, { family: options.family }, (err, addresses) => {
      if (err) {
        callback(err, [] as LookupAddress[]);
        return;
      }
      if (addresses.length === 0) {
        callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), [] as LookupAddress[]);
        return;
      }
      for (const a of addresses) {
        const why = refuseAddress(a.address, allowPrivate);
        if (why) {
          callback(new TargetRefused(why) as NodeJS.ErrnoException, [] as LookupAddress[]);
          return;
        }
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
