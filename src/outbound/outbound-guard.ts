/**
 * The SSRF guard for outbound notifications: a receiver's address must be public unicast
 * unless TEMPOHOOK_OUTBOUND_ALLOW (CIDRs and host names, comma-separated) allows it. The check
 * runs on the address the connection actually uses (a `lookup` hook), so a name that resolves
 * to a private address, or is re-pointed there after the subscription was applied, is refused.
 */
import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { TempohookError } from '../errors';

export interface OutboundGuard {
  /** Why `address` (reached for `hostname`) is refused, or undefined when it may be used. */
  refusal(hostname: string, address: string): string | undefined;
  /** A `lookup` for http.request that resolves, checks every address and fails on a refused one. */
  lookup: net.LookupFunction;
}

interface AllowList {
  ranges: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]>;
  hosts: Set<string>;
}

/** Parses TEMPOHOOK_OUTBOUND_ALLOW: `10.0.0.0/8, 127.0.0.1, hooks.internal`. Throws on an entry that is neither. */
export function parseOutboundAllow(text: string | undefined): AllowList {
  const list: AllowList = { ranges: [], hosts: new Set() };
  for (const entry of (text ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    if (ipaddr.isValidCIDR(entry)) list.ranges.push(ipaddr.parseCIDR(entry));
    else if (ipaddr.isValid(entry)) {
      const address = ipaddr.process(entry);
      list.ranges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    } else if (/^[A-Za-z0-9.-]+$/.test(entry)) list.hosts.add(entry.toLowerCase());
    else
      throw new TempohookError(
        'invalid_config',
        `TEMPOHOOK_OUTBOUND_ALLOW: "${entry}" is not a CIDR, an IP address or a host name.`,
        500,
      );
  }
  return list;
}

export function createOutboundGuard(allow: string | undefined): OutboundGuard {
  const list = parseOutboundAllow(allow);
  const refusal = (hostname: string, address: string): string | undefined => {
    if (list.hosts.has(hostname.toLowerCase().replace(/\.$/, ''))) return undefined;
    if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
    const parsed = ipaddr.process(address);
    if (list.ranges.some(([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits)))
      return undefined;
    const range = parsed.range();
    if (range === 'unicast') return undefined;
    return `${hostname} resolves to ${parsed.toString()} (${range}), which outbound notifications may not reach; allow it with TEMPOHOOK_OUTBOUND_ALLOW if it is meant to`;
  };
  const lookup: net.LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 4);
      const list = addresses;
      for (const entry of list) {
        const reason = refusal(hostname, entry.address);
        if (reason) return callback(new OutboundRefusedError(reason), '', 4);
      }
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      const first = list[0]!;
      callback(null, first.address, first.family);
    });
  };
  return { refusal, lookup };
}

/** A receiver address the guard refused: final, retrying cannot help. */
export class OutboundRefusedError extends Error {
  override readonly name = 'OutboundRefusedError';
  readonly code = 'outbound_address_refused';
}

/** Checks a URL whose host is an IP literal (connections to literals skip `lookup`). */
export function refuseLiteralHost(guard: OutboundGuard, url: URL): void {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!net.isIP(host)) return;
  const reason = guard.refusal(host, host);
  if (reason) throw new OutboundRefusedError(reason);
}
