/**
 * Which network addresses an event handler may be reached at. Loopback is always allowed (webhooks
 * to localhost are a Lapis feature); private, shared, link-local and unique-local ranges only when
 * the operator allows them; unspecified, multicast and reserved addresses never. The check runs on
 * the address actually connected to (DNS answers included), so a name cannot smuggle a private IP.
 */
import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';

export type AddressClass = 'loopback' | 'private' | 'link-local' | 'public' | 'forbidden';

function v4Parts(ip: string): number[] {
  return ip.split('.').map((x) => Number(x));
}

function classifyV4(ip: string): AddressClass {
  const [a = 0, b = 0] = v4Parts(ip);
  if (a === 127) return 'loopback';
  if (a === 0 || a >= 224) return 'forbidden'; // "this network", multicast, reserved, broadcast
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 100 && b >= 64 && b <= 127) return 'private'; // carrier-grade NAT (RFC 6598)
  if (a === 169 && b === 254) return 'link-local';        // includes 169.254.169.254 (instance metadata)
  if (a === 198 && (b === 18 || b === 19)) return 'private'; // benchmarking (RFC 2544)
  return 'public';
}

function expandV6(ip: string): number[] | undefined {
  let s = ip.toLowerCase();
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  // Embedded IPv4 tail (::ffff:1.2.3.4)
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const [a = 0, b = 0, c = 0, d = 0] = v4Parts(v4[1]!);
    s = `${s.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...Array<string>(Math.max(0, fill)).fill('0'), ...tail].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

function classifyV6(ip: string): AddressClass {
  const g = expandV6(ip);
  if (!g) return 'forbidden';
  if (g.every((x) => x === 0)) return 'forbidden';                                  // ::
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'loopback';          // ::1
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {                      // ::ffff:a.b.c.d
    return classifyV4(`${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`);
  }
  const first = g[0]!;
  if ((first & 0xfe00) === 0xfc00) return 'private';    // fc00::/7 unique local
  if ((first & 0xffc0) === 0xfe80) return 'link-local'; // fe80::/10
  if ((first & 0xff00) === 0xff00) return 'forbidden';  // multicast
  return 'public';
}

export function classifyAddress(ip: string): AddressClass {
  const family = isIP(ip);
  if (family === 4) return classifyV4(ip);
  if (family === 6) return classifyV6(ip);
  return 'forbidden';
}

/** Undefined when allowed, else why not. */
export function refuseAddress(ip: string, allowPrivate: boolean): string | undefined {
  const c = classifyAddress(ip);
  if (c === 'loopback' || c === 'public') return undefined;
  if ((c === 'private' || c === 'link-local') && allowPrivate) return undefined;
  if (c === 'forbidden') return `the address ${ip} cannot be used for event handlers`;
  return `the address ${ip} is a ${c} address; set allowPrivateTargets to deliver events to private networks`;
}

export class TargetRefused extends Error {
  readonly code = 'ETARGETREFUSED';
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for http.request that refuses disallowed addresses after resolution. */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: { all?: boolean; family?: number | string }, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true } as never, (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => {
      if (err) {
        callback(err, [] as LookupAddress[]);
        return;
      }
      for (const a of addresses) {
        const why = refuseAddress(a.address, allowPrivate);
        if (why) {
          callback(new TargetRefused(why), [] as LookupAddress[]);
          return;
        }
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
