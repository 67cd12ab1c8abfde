// The addresses a Gateway's listeners bind: spec.addresses of type IPAddress as given, else the
// address the pool assigned (options.assignedAddresses), else options.defaultAddress.
import { isIP } from 'node:net';
import type { Gateway } from '../resources/types.ts';
import type { TranslateOptions } from './api.ts';
import * as C from './conditions.ts';
import { parseIP } from './ip.ts';
import { keyOf } from './meta.ts';
import { objects } from './sanitize.ts';

export interface AddressVerdict {
  addresses: string[];
  /** Accepted=False UnsupportedAddress. */
  rejected?: C.Cond;
  /** Programmed=False AddressNotUsable. */
  notUsable?: C.Cond;
}

export function gatewayAddresses(gw: Gateway, options: TranslateOptions): AddressVerdict {
  const key = keyOf(gw);
  const fallback = options.assignedAddresses?.[key] ?? options.defaultAddress;
  const given = objects(gw.spec.addresses);
  if (given.length === 0) return { addresses: [fallback] };
  const out: string[] = [];
  const unusable: string[] = [];
  for (const [i, a] of given.entries()) {
    const type = a.type ?? 'IPAddress';
    if (type !== 'IPAddress') {
      return {
        addresses: [],
        rejected: C.gatewayUnsupportedAddress(`spec.addresses[${i}]: address type ${JSON.stringify(type)} is not supported (IPAddress is)`),
      };
    }
    if (!a.value) {
      if (!out.includes(fallback)) out.push(fallback);
      continue;
    }
    if (isIP(a.value) === 0) unusable.push(`${a.value} is not an IP address`);
    else if (options.addressPool && !inCidr(a.value, options.addressPool.cidr)) unusable.push(`${a.value} is outside the address pool ${options.addressPool.cidr}`);
    else if (!out.includes(a.value)) out.push(a.value);
  }
  if (unusable.length > 0) return { addresses: out, notUsable: C.gatewayAddressNotUsable(`spec.addresses: ${unusable.join('; ')}`) };
  return { addresses: out };
}

/** Is `ip` inside `cidr` (IPv4 or IPv6)? A malformed CIDR contains nothing. */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const fam = isIP(ip);
  if (!base || fam === 0 || isIP(base) !== fam) return false;
  const width = fam === 4 ? 32 : 128;
  const bits = bitsText === undefined ? width : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > width) return false;
  const shift = BigInt(width - bits);
  return parseIP(ip)!.value >> shift === parseIP(base)!.value >> shift;
}

/** `address:port/suffix`, with IPv6 addresses in brackets (`[::1]:80/http`). */
export function socketName(address: string, port: number, suffix: string): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port}/${suffix}`;
}
