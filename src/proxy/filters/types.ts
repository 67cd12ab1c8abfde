// The filter contract. Each IR filter compiles (once per apply) into one of three shapes:
//  - a Responder answers the request at the gateway (redirect, direct response, CORS preflight)
//    or returns null to let it through;
//  - a RequestStep edits the request on its way upstream (header modifier, URL rewrite, mirror);
//  - a ResponseStep edits response headers on the way back (header modifier, CORS headers).
// They see only the transport-independent RequestHead and flat header lists, never node:http.
import type { Writable } from 'node:stream';
import type { RequestHead } from '../request-head.ts';

/** The request as it will be sent upstream. Filters edit it in place. */
export interface Outgoing {
  /** Flat header list; Host is in it. */
  headers: string[];
  /** Request target (path and query) to send. */
  target: string;
  /** The path part of `target` as the rule matched it (before any rewrite). */
  matchedPath: string;
  /** Whether the request has a body (it streams once; mirrors tap it). */
  hasBody: boolean;
  /**
   * Extra consumers of the request body (mirrors). They must never push back: the exchange pipes
   * the body into each of them next to the primary request, so a slow tap would slow the client.
   */
  taps: Writable[] | null;
}

export interface LocalResponse {
  status: number;
  headers: string[];
  body: string;
}

/** Facts about where the request arrived, for redirects. */
export interface ListenerContext {
  port: number;
}

export interface Responder {
  respond(head: RequestHead, listener: ListenerContext): LocalResponse | null;
}

export interface RequestStep {
  onRequest(head: RequestHead, out: Outgoing): void;
}

export interface ResponseStep {
  onResponse(head: RequestHead, status: number, headers: string[]): void;
}

/** What a rule (plus, once chosen, a backend) does to a request, compiled. */
export interface FilterPlan {
  responders: Responder[];
  requestSteps: RequestStep[];
  responseSteps: ResponseStep[];
}

export function emptyPlan(): FilterPlan {
  return { responders: [], requestSteps: [], responseSteps: [] };
}
