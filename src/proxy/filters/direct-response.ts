// DirectResponse: the translator's answer for a filter that cannot be honoured (e.g. an unknown
// ExtensionRef must not be skipped): every request on the rule gets this status.
import type { LocalResponse, Responder } from './types.ts';

export class DirectResponse implements Responder {
  private readonly response: LocalResponse;
  constructor(statusCode: number) {
    this.response = { status: statusCode, headers: [], body: '' };
  }
  respond(): LocalResponse {
    return this.response;
  }
}
