// The `--address-pool CIDR` allocator: each Gateway gets an address of its own from the pool.
// Stateful (so it lives outside the pure translator): an address stays with its Gateway while the
// Gateway exists, and after a restart a Gateway gets back the address in its status.addresses when
// that address is still in the pool and free. Otherwise it gets the lowest free address. A Gateway
// whose spec.addresses requests an IPAddress inside the pool gets that address (the translator
// reports requests outside the pool, through TranslateOptions.addressPool).
import { ErrorCodes, WicketError } from '../errors.ts';
import type { Gateway, GatewayClass } from '../resources/types.ts';
import { formatIP, parseIP } from '../translate/ip.ts';

export interface GatewayAddressInput {
  /** `namespace/name`. */
  key: string;
  /** IPAddress values from spec.addresses. */
  requested: string[];
  /** Values from status.addresses (what the Gateway had before a restart). */
  previous: string[];
}

export class AddressPool {
  readonly cidr: string;
  readonly #family: 4 | 6;
  readonly #first: bigint;
  readonly #last: bigint;
  /** Gateway key → address (canonical text). */
  readonly #assigned = new Map<string, string>();

  constructor(cidr: string) {
    const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr.trim());
    const ip = m ? parseIP(m[1]!) : undefined;
    const bits = ip?.family === 4 ? 32 : 128;
    const prefix = m ? Number(m[2]) : NaN;
    if (!m || !ip || !(prefix >= 0 && prefix <= bits)) {
      throw new WicketError(ErrorCodes.USAGE, `--address-pool ${cidr}: expected a CIDR such as 127.1.0.0/16 or fd00::/112`);
    }
    this.cidr = cidr.trim();
    this.#family = ip.family;
    const size = 1n << BigInt(bits - prefix);
    const network = (ip.value / size) * size;
    // Leave out the network and broadcast addresses of IPv4 pools that have them.
    const skipEnds = ip.family === 4 && bits - prefix >= 2;
    this.#first = network + (skipEnds ? 1n : 0n);
    this.#last = network + size - 1n - (skipEnds ? 1n : 0n);
  }

  /** The canonical form of `ip` when it lies in the pool's range; otherwise undefined. */
  #inPool(ip: string): string | undefined {
    const p = parseIP(ip);
    if (!p || p.family !== this.#family || p.value < this.#first || p.value > this.#last) return undefined;
    return formatIP(p.family, p.value);
  }

  contains(ip: string): boolean {
    return this.#inPool(ip) !== undefined;
  }

  /** Current assignments (`namespace/name` → address). */
  assignments(): Record<string, string> {
    return Object.fromEntries([...this.#assigned].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /**
   * Assigns addresses to exactly these Gateways (others are released), in the given order for
   * ties: pass them sorted by creationTimestamp, then namespace/name, so the oldest wins a contest.
   */
  assign(gateways: readonly GatewayAddressInput[]): Record<string, string> {
    const keys = new Set(gateways.map((g) => g.key));
    for (const k of [...this.#assigned.keys()]) if (!keys.has(k)) this.#assigned.delete(k);

    const next = new Map<string, string>();
    const used = new Set<string>();
    const take = (key: string, addr: string) => {
      next.set(key, addr);
      used.add(addr);
    };
    // 1. Explicit requests inside the pool. The first requester of an address keeps it.
    const wanting: GatewayAddressInput[] = [];
    for (const g of gateways) {
      const addr = g.requested.map((r) => this.#inPool(r)).find((a) => a !== undefined && !used.has(a));
      if (addr) take(g.key, addr);
      else if (g.requested.length === 0) wanting.push(g);
      // A Gateway whose requests are all outside the pool (or taken) gets nothing: the translator reports it.
    }
    // 2. Keep what each Gateway already has, then what its status says it had.
    const unplaced: GatewayAddressInput[] = [];
    for (const g of wanting) {
      const cur = this.#assigned.get(g.key);
      if (cur && this.#inPool(cur) && !used.has(cur)) take(g.key, cur);
      else unplaced.push(g);
    }
    const stillUnplaced: GatewayAddressInput[] = [];
    for (const g of unplaced) {
      const prev = g.previous.map((p) => this.#inPool(p)).find((a) => a !== undefined && !used.has(a));
      if (prev) take(g.key, prev);
      else stillUnplaced.push(g);
    }
    // 3. The lowest free address for the rest.
    let cursor = this.#first;
    for (const g of stillUnplaced) {
      while (cursor <= this.#last && used.has(formatIP(this.#family, cursor))) cursor++;
      if (cursor > this.#last) break; // pool exhausted: the rest get no address
      take(g.key, formatIP(this.#family, cursor));
    }
    this.#assigned.clear();
    for (const [k, v] of next) this.#assigned.set(k, v);
    return this.assignments();
  }
}

/** The allocator's input for Gateway objects, sorted creationTimestamp first, then namespace/name. */
export function addressInputs(gateways: readonly Gateway[]): GatewayAddressInput[] {
  const sorted = [...gateways].sort((a, b) => {
    const ta = a.metadata.creationTimestamp ?? '';
    const tb = b.metadata.creationTimestamp ?? '';
    if (ta !== tb) return ta < tb ? -1 : 1;
    const ka = `${a.metadata.namespace ?? ''}/${a.metadata.name}`;
    const kb = `${b.metadata.namespace ?? ''}/${b.metadata.name}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  return sorted.map((g) => ({
    key: `${g.metadata.namespace ?? ''}/${g.metadata.name}`,
    requested: (g.spec?.addresses ?? []).filter((a) => (a.type ?? 'IPAddress') === 'IPAddress' && a.value).map((a) => a.value!),
    previous: (g.status?.addresses ?? []).filter((a) => (a.type ?? 'IPAddress') === 'IPAddress' && a.value).map((a) => a.value),
  }));
}

/** addressInputs for the Gateways whose GatewayClass has `controllerName`: other classes' Gateways take no address. */
export function ourAddressInputs(snapshot: { gatewayClasses: readonly GatewayClass[]; gateways: readonly Gateway[] }, controllerName: string): GatewayAddressInput[] {
  const ours = new Set(snapshot.gatewayClasses.filter((c) => c.spec?.controllerName === controllerName).map((c) => c.metadata.name));
  return addressInputs(snapshot.gateways.filter((g) => ours.has(g.spec?.gatewayClassName)));
}
