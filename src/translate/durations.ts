// GEP-2257 durations: one to four `<1-5 digits><unit>` groups, units h, m, s, ms (`1h30m`,
// `500ms`, `0s`). Returns milliseconds, or null when the text is not a valid duration.
const WHOLE = /^([0-9]{1,5}(h|ms|m|s)){1,4}$/;
const PART = /([0-9]{1,5})(h|ms|m|s)/g;
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

export function parseDuration(text: string): number | null {
  if (!WHOLE.test(text)) return null;
  let total = 0;
  const seen = new Set<string>();
  for (const m of text.matchAll(PART)) {
    const unit = m[2]!;
    if (seen.has(unit)) return null; // each unit at most once
    seen.add(unit);
    total += Number(m[1]) * UNIT_MS[unit]!;
  }
  return total;
}
