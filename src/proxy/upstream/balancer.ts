// Smooth weighted round robin (the nginx algorithm): over any window of sum(weights) picks, each
// endpoint is chosen exactly `weight` times, and picks of one endpoint are spread out rather than
// bunched. Deterministic, O(n) per pick with tiny n, no allocation.

export class SmoothWeightedRoundRobin<T> {
  private readonly items: T[];
  private readonly weights: number[];
  private readonly current: number[];
  private readonly total: number;

  /** Items whose weight is not a positive finite number are never picked. */
  constructor(items: { item: T; weight: number }[]) {
    const kept = items.filter((i) => Number.isFinite(i.weight) && i.weight > 0);
    this.items = kept.map((i) => i.item);
    this.weights = kept.map((i) => i.weight);
    this.current = kept.map(() => 0);
    this.total = this.weights.reduce((a, b) => a + b, 0);
  }

  get size(): number {
    return this.items.length;
  }

  /** The first item with a positive weight that satisfies `pred`. */
  has(pred: (item: T) => boolean): T | undefined {
    return this.items.find(pred);
  }

  /** Next item, or undefined when there is none with a positive weight. */
  next(): T | undefined {
    const n = this.items.length;
    if (n === 0) return undefined;
    if (n === 1) return this.items[0];
    let best = 0;
    for (let i = 0; i < n; i++) {
      this.current[i]! += this.weights[i]!;
      if (this.current[i]! > this.current[best]!) best = i;
    }
    this.current[best]! -= this.total;
    return this.items[best];
  }
}

/**
 * Weighted random choice for a rule's backends: independent per request, like the traffic split
 * the Gateway API describes (weight / sum of weights). `random` is injectable for tests.
 */
export class WeightedChoice<T> {
  private readonly items: T[];
  private readonly cumulative: number[];
  private readonly total: number;
  private readonly random: () => number;

  constructor(items: { item: T; weight: number }[], random: () => number = Math.random) {
    const kept = items.filter((i) => i.weight > 0);
    this.items = kept.map((i) => i.item);
    let sum = 0;
    this.cumulative = kept.map((i) => (sum += i.weight));
    this.total = sum;
    this.random = random;
  }

  get size(): number {
    return this.items.length;
  }

  pick(): T | undefined {
    const n = this.items.length;
    if (n <= 1) return this.items[0];
    const r = this.random() * this.total;
    for (let i = 0; i < n; i++) if (r < this.cumulative[i]!) return this.items[i];
    return this.items[n - 1];
  }
}
