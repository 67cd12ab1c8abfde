// Compiles an IR filter list into a FilterPlan, in the order written (the spec asks for listed
// order wherever possible). Rule filters come first, then the chosen backend's filters.
import type { Filter } from '../../ir/types.ts';
import { DirectResponse } from './direct-response.ts';
import { RequestHeaderStep, ResponseHeaderStep } from './header-modifier.ts';
import { RequestRedirect } from './request-redirect.ts';
import type { FilterPlan, RequestStep, Responder, ResponseStep } from './types.ts';
import { URLRewrite } from './url-rewrite.ts';

export interface FilterDeps {
  /** Builds the step that mirrors requests to a cluster (null cluster: mirror nothing). */
  mirror(cluster: string | null, fraction: { numerator: number; denominator: number }): RequestStep | null;
  /** Builds the CORS responder (preflight) and response step (headers on actual requests). */
  cors(f: Extract<Filter, { type: 'CORS' }>): { responder: Responder; response: ResponseStep } | null;
}

export function compilePlan(filters: readonly Filter[], deps: FilterDeps, into?: FilterPlan): FilterPlan {
  const plan: FilterPlan = into
    ? { responders: [...into.responders], requestSteps: [...into.requestSteps], responseSteps: [...into.responseSteps] }
    : { responders: [], requestSteps: [], responseSteps: [] };
  for (const f of filters) {
    switch (f.type) {
      case 'RequestHeaderModifier':
        plan.requestSteps.push(new RequestHeaderStep(f));
        break;
      case 'ResponseHeaderModifier':
        plan.responseSteps.push(new ResponseHeaderStep(f));
        break;
      case 'RequestRedirect':
        plan.responders.push(new RequestRedirect(f));
        break;
      case 'URLRewrite':
        plan.requestSteps.push(new URLRewrite(f));
        break;
      case 'DirectResponse':
        plan.responders.push(new DirectResponse(f.statusCode));
        break;
      case 'RequestMirror': {
        const step = deps.mirror(f.cluster, f.fraction);
        if (step !== null) plan.requestSteps.push(step);
        break;
      }
      case 'CORS': {
        const c = deps.cors(f);
        if (c !== null) {
          plan.responders.push(c.responder);
          plan.responseSteps.push(c.response);
        }
        break;
      }
      default: {
        // An unknown filter type must not be skipped silently: answer 500 like the spec asks for
        // unresolvable filters.
        plan.responders.push(new DirectResponse(500));
      }
    }
  }
  return plan;
}
