// Shared by the peers: keep the current route set, and on each change regenerate the config files
// from it and signal the running process to reload.
import type { HTTPRoute } from '../../src/resources/types.ts';
import type { RouteSet } from '../peers/routes.ts';

export class RouteBook {
  set: RouteSet;
  private readonly byName = new Map<string, number>();

  constructor(set: RouteSet) {
    this.set = { ...set, routes: [...set.routes] };
    this.reindex();
  }

  private reindex(): void {
    this.byName.clear();
    this.set.routes.forEach((r, i) => this.byName.set(r.metadata.name, i));
  }

  add(route: HTTPRoute): void {
    const i = this.byName.get(route.metadata.name);
    if (i !== undefined) this.set.routes[i] = route;
    else {
      this.byName.set(route.metadata.name, this.set.routes.length);
      this.set.routes.push(route);
    }
  }

  remove(name: string): void {
    if (!this.byName.has(name)) return;
    this.set.routes = this.set.routes.filter((r) => r.metadata.name !== name);
    this.reindex();
  }

  replace(set: RouteSet): void {
    this.set = { ...set, routes: [...set.routes] };
    this.reindex();
  }
}
