// Kubernetes label selector semantics (matchLabels AND matchExpressions), used by allowedRoutes
// and allowedListeners namespace selectors. An empty selector matches everything.
import type { LabelSelector } from '../resources/types.ts';
import { objects, strings } from './sanitize.ts';

export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const req of objects(selector.matchExpressions)) {
    const has = Object.hasOwn(labels, req.key);
    const values = strings(req.values);
    switch (req.operator) {
      case 'In':
        if (!has || !values.includes(labels[req.key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[req.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        // An unknown operator selects nothing: safer than selecting everything.
        return false;
    }
  }
  return true;
}
