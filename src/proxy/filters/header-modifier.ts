// RequestHeaderModifier and ResponseHeaderModifier: `set` replaces, `add` appends (`existing,new`
// on an existing header), `remove` drops; names are case-insensitive. Applied in that order
// (set, add, remove), each name precomputed in lower case.
import type { Header } from '../../ir/types.ts';
import { addHeader, removeHeader, setHeader } from '../headers.ts';
import type { RequestHead } from '../request-head.ts';
import type { Outgoing, RequestStep, ResponseStep } from './types.ts';

interface Op {
  name: string;
  lower: string;
  value: string;
}

function ops(hs: Header[]): Op[] {
  return hs.map((h) => ({ name: h.name, lower: h.name.toLowerCase(), value: h.value }));
}

export class HeaderModifier {
  private readonly set: Op[];
  private readonly add: Op[];
  private readonly remove: string[];

  constructor(f: { set: Header[]; add: Header[]; remove: string[] }) {
    this.set = ops(f.set);
    this.add = ops(f.add);
    this.remove = f.remove.map((n) => n.toLowerCase());
  }

  apply(list: string[]): void {
    for (const o of this.set) setHeader(list, o.name, o.lower, o.value);
    for (const o of this.add) addHeader(list, o.name, o.lower, o.value);
    for (const n of this.remove) removeHeader(list, n);
  }
}

export class RequestHeaderStep implements RequestStep {
  private readonly mod: HeaderModifier;
  constructor(f: { set: Header[]; add: Header[]; remove: string[] }) {
    this.mod = new HeaderModifier(f);
  }
  onRequest(_head: RequestHead, out: Outgoing): void {
    this.mod.apply(out.headers);
  }
}

export class ResponseHeaderStep implements ResponseStep {
  private readonly mod: HeaderModifier;
  constructor(f: { set: Header[]; add: Header[]; remove: string[] }) {
    this.mod = new HeaderModifier(f);
  }
  onResponse(_head: RequestHead, _status: number, headers: string[]): void {
    this.mod.apply(headers);
  }
}
