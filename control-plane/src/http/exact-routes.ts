import type { IRoute, NextFunction, Request, RequestHandler, Response, Router } from 'express';

/**
 * Routes without parameters (`/api/version`, `/api/projects`), found by one map lookup before
 * Express walks its routers: on the cheapest answers that walk (a regular expression per route,
 * and per router the closures of its dispatch) costs more than the answer itself. A route found
 * here is dispatched by Express's own route (its handlers, HEAD as GET, errors to the error
 * handlers), so the client sees what Express's walk would have given.
 *
 * A route is taken only when nothing Express would try before it could answer its path: no
 * route registered before it that could match (a parameter route such as `/api/task/:id` before
 * `/api/task/editing`, the same path in another case), and no other middleware in the app before
 * its router (see `keepRoutesBefore`). Paths not written exactly as registered (other case,
 * trailing slash, a full URL) are left to Express. The routes taken are those of `ApiRouter`,
 * which answer or fail and never hand the request on to a later route.
 */
export class ExactRoutes {
  private readonly routes = new Map<string, { router: Router; route: IRoute }>();
  /** Lower-cased literal beginnings of the parameter routes registered so far. */
  private readonly patternPrefixes: string[] = [];
  /** Exact paths registered so far, lower-cased without trailing slashes, by method. */
  private readonly seen = new Set<string>();
  /** Every router whose routes were recorded, exact or not. */
  private readonly routers = new Set<unknown>();

  /** Records a route of `router` as Express registered it, in registration order. */
  add(router: Router, method: string, path: string, route: IRoute): void {
    this.routers.add(router);
    const verb = method.toUpperCase();
    const special = /[:*{}()[\]+?!\\]/.exec(path);
    if (special) {
      this.patternPrefixes.push(path.slice(0, special.index).toLowerCase());
      return;
    }
    const lower = path.toLowerCase();
    const normal = `${verb} ${lower.replace(/\/+$/, '')}`;
    const shadowed = this.seen.has(normal) || this.patternPrefixes.some((prefix) => lower.startsWith(prefix));
    this.seen.add(normal);
    if (!shadowed) this.routes.set(`${verb} ${path}`, { router, route });
  }

  /**
   * Keeps only the routes whose router comes, in `layers` (the app's, after this middleware),
   * before any layer that is not a router of these routes: such a middleware or route might
   * answer or change the request first, so what comes after it is left to Express.
   */
  keepRoutesBefore(layers: ReadonlyArray<{ handle: unknown }>): void {
    const reached = new Set<unknown>();
    for (const layer of layers) {
      if (!this.routers.has(layer.handle)) break;
      reached.add(layer.handle);
    }
    for (const [key, { router }] of this.routes) if (!reached.has(router)) this.routes.delete(key);
  }

  /** The middleware that dispatches the routes it knows and hands every other request on. */
  handler(): RequestHandler {
    const routes = this.routes;
    return (req: Request, res: Response, next: NextFunction) => {
      const url = req.url;
      const query = url.indexOf('?');
      const path = query < 0 ? url : url.slice(0, query);
      const found = routes.get(`${req.method === 'HEAD' ? 'GET' : req.method} ${path}`);
      if (found === undefined) {
        next();
        return;
      }
      // What the router would leave for the route (the path's parameters: none), then the route's
      // own dispatch; its errors go on to the error handlers, as from the router.
      req.params = {};
      (found.route as DispatchableRoute).dispatch(req, res, next);
    };
  }
}

/** Express's route object, whose dispatch runs its handlers. */
interface DispatchableRoute extends IRoute {
  dispatch(req: Request, res: Response, done: NextFunction): void;
}
