// Empty lists shared by every IR rule, match and backend that has none: at thousands of routes a
// fresh `[]` per match (filters, header and query matches) and per backend (filters) is most of
// what an otherwise minimal rule holds. Frozen, so a reader that tried to add to one would throw
// instead of changing every rule at once; nobody does (the IR is read-only downstream).
import type { Filter, RouteMatch } from '../ir/types.ts';

export const NO_FILTERS = Object.freeze([]) as unknown as Filter[];
export const NO_HEADER_MATCHES = Object.freeze([]) as unknown as RouteMatch['headers'];
export const NO_QUERY_MATCHES = Object.freeze([]) as unknown as RouteMatch['queryParams'];
