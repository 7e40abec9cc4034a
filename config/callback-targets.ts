/**
 * Where callbacks may go. The callback URL comes from API callers, so without limits any key holder could make
 * the worker POST to an internal address (SSRF). Two checks, both from configuration:
 * - an allow-list of hosts or URL prefixes (CALLBACK_ALLOWED_URLS; by default only CALLBACK_URL), checked when
 *   an onboarding starts (a 400) and again before every delivery;
 * - the addresses a target resolves to: loopback, private, link-local, unique-local, unspecified, multicast and
 *   reserved ranges are refused unless CALLBACK_ALLOW_PRIVATE_TARGETS says otherwise (the worker checks the
 *   address it connects to, see activities/callback-transport.ts).
 */
import { BlockList, isIP } from 'node:net';

export interface CallbackTargets {
  /**
   * Hosts (`backend.example.com`, `*.example.com`, `host:port`), URL prefixes (`https://host/path`), or `*` for
   * any host (the address check still applies: a fuzzer's stack, a gateway that filters itself).
   */
  allowed: readonly string[];
  /** Loopback and private addresses are allowed too (the local stack, tests, a backend on a private network). */
  allowPrivateAddresses: boolean;
}

export type TargetCheck = { allowed: true } | { allowed: false; reason: string };

/** Why an allow-list entry is unusable, or undefined when it is fine (config/env.ts reports it at start). */
export function allowListEntryProblem(entry: string): string | undefined {
  if (entry === '*') return undefined;
  if (entry.includes('://')) {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      return `"${entry}" is not a URL`;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `"${entry}" is not an http(s) URL`;
    if (url.search || url.hash || url.username || url.password) {
      return `"${entry}": a prefix has no query, fragment or credentials`;
    }
    return undefined;
  }
  return /^(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/i.test(entry) ||
    /^\[[0-9a-f:.]+\](:\d{1,5})?$/i.test(entry)
    ? undefined
    : `"${entry}" is neither a host (host, *.domain, host:port) nor an http(s) URL prefix`;
}

function defaultPort(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

function matchesHostEntry(url: URL, entry: string): boolean {
  if (entry === '*') return true;
  const match = /^(.*?)(?::(\d{1,5}))?$/.exec(entry.toLowerCase());
  if (!match) return false;
  const [, host, port] = match;
  if (port !== undefined && port !== defaultPort(url)) return false;
  const hostname = url.hostname.toLowerCase();
  if (host.startsWith('*.')) return hostname.endsWith(host.slice(1)) && hostname.length > host.length - 1;
  return hostname === host;
}

function matchesPrefixEntry(url: URL, entry: string): boolean {
  const prefix = new URL(entry);
  if (prefix.protocol !== url.protocol || prefix.hostname !== url.hostname) return false;
  if (defaultPort(prefix) !== defaultPort(url)) return false;
  // `https://h/hooks` allows `/hooks` and `/hooks/...`, not `/hooks-evil`.
  const base = prefix.pathname.endsWith('/') ? prefix.pathname : `${prefix.pathname}/`;
  return url.pathname === prefix.pathname || url.pathname.startsWith(base);
}

/** The allow-list check; the address check comes at delivery, once the host is resolved. */
export function checkCallbackUrl(rawUrl: string, targets: CallbackTargets): TargetCheck {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { allowed: false, reason: 'not a URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { allowed: false, reason: 'only http(s) URLs are allowed' };
  }
  if (url.username || url.password)
    return { allowed: false, reason: 'credentials in the URL are not allowed' };
  const listed = targets.allowed.some((entry) =>
    entry.includes('://') ? matchesPrefixEntry(url, entry) : matchesHostEntry(url, entry),
  );
  if (!listed) {
    return {
      allowed: false,
      reason:
        targets.allowed.length === 0
          ? 'no callback target is configured (CALLBACK_URL, CALLBACK_ALLOWED_URLS)'
          : 'the URL matches no entry of CALLBACK_ALLOWED_URLS (by default only CALLBACK_URL is allowed)',
    };
  }
  // A literal address needs no lookup: refuse it now rather than at delivery.
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal) !== 0) {
    const refused = refusedAddressReason(literal, targets);
    if (refused) return { allowed: false, reason: refused };
  }
  return { allowed: true };
}

// Ranges no callback should reach from outside: IANA's special-purpose registries (IPv4 and IPv6).
const SPECIAL_V4: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignment'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];
const SPECIAL_V6: Array<[string, number, string]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 96, 'IPv4-compatible'],
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  ['100::', 64, 'discard-only'],
  ['2001:db8::', 32, 'documentation'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

function rangeLists(ranges: Array<[string, number, string]>, family: 'ipv4' | 'ipv6') {
  return ranges.map(([network, prefix, name]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, family);
    return { list, name };
  });
}
const SPECIAL_RANGES = { ipv4: rangeLists(SPECIAL_V4, 'ipv4'), ipv6: rangeLists(SPECIAL_V6, 'ipv6') };

/** The name of the special range `address` is in, or undefined for a public unicast address. */
export function specialRangeOf(address: string): string | undefined {
  const plain = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(plain);
  if (family === 0) return 'not an IP address';
  if (family === 4 && plain === '255.255.255.255') return 'broadcast';
  const kind = family === 4 ? 'ipv4' : 'ipv6';
  // An IPv4 rule also matches the IPv4-mapped IPv6 form (`::ffff:127.0.0.1`, `::ffff:7f00:1`).
  const candidates = family === 4 ? SPECIAL_RANGES.ipv4 : [...SPECIAL_RANGES.ipv6, ...SPECIAL_RANGES.ipv4];
  return candidates.find((range) => range.list.check(plain, kind))?.name;
}

/** Why a delivery to `address` is refused under `targets`, or undefined when it may go there. */
export function refusedAddressReason(address: string, targets: CallbackTargets): string | undefined {
  if (targets.allowPrivateAddresses) return undefined;
  const range = specialRangeOf(address);
  return range
    ? `${address} is a ${range} address (set CALLBACK_ALLOW_PRIVATE_TARGETS=true to allow such targets)`
    : undefined;
}
