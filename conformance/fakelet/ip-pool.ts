// Hands out Pod addresses from the bridge subnet, skipping the network, the bridge
// address itself and broadcast. Released addresses go to the back of the queue so a
// new Pod does not inherit a just-deleted Pod's IP while stale endpoints may linger.
export class IpPool {
  private free: number[] = [];
  private used = new Set<number>();

  /** cidr like 198.18.0.0/16; reserved addresses are never handed out. */
  constructor(cidr: string, reserved: string[]) {
    const [base, bits] = cidr.split('/');
    const size = 2 ** (32 - Number(bits));
    const start = toInt(base);
    const skip = new Set(reserved.map(toInt));
    // Keep the pool small: a few thousand addresses are plenty for the suite.
    for (let i = 10; i < Math.min(size - 1, 4096); i++) if (!skip.has(start + i)) this.free.push(start + i);
  }

  allocate(): string {
    const n = this.free.shift();
    if (n === undefined) throw new Error('pod IP pool exhausted');
    this.used.add(n);
    return toIp(n);
  }

  release(ip: string): void {
    const n = toInt(ip);
    if (this.used.delete(n)) this.free.push(n);
  }
}

export function toInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function toIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}
