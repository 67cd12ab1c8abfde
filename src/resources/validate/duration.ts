// GEP-2257 durations (`1h30m`, `500ms`): one to four `<1-5 digits><unit>` groups, units h, m, s,
// ms. Units may repeat (the total is the sum), as the GEP allows and the CRD pattern accepts.
// The one parser for both the schema rules and the translator; undefined when not a duration.
/** The CRD's pattern for a Duration field. */
export const DURATION_PATTERN = '^([0-9]{1,5}(h|m|s|ms)){1,4}$';
const WHOLE = new RegExp(DURATION_PATTERN);
const PART = /([0-9]{1,5})(h|ms|m|s)/g;
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

export function parseDuration(text: unknown): number | undefined {
  if (typeof text !== 'string' || !WHOLE.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(PART)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return total;
}
