import express, { type Express, type Request, type Response, type Router } from 'express';
import { describe, expect, it } from 'vitest';
import { appServer } from '../test-support/serve-app.js';
import { ExactRoutes } from './exact-routes.js';

const serve = appServer();

/** What answered, and which route Express saw as matched. */
async function answer(url: string, method = 'GET'): Promise<string> {
  const res = await fetch(url, { method });
  return `${res.status} ${method === 'HEAD' ? res.headers.get('x-by') : await res.text()}`;
}

/**
 * An app laid out as createHttpApp lays it out: the table's middleware first, then routers whose
 * routes are recorded in the table as ApiRouter records them, then whatever `extra` adds.
 */
function appWith(layout: (add: (router: Router, method: 'get' | 'post', path: string, by: string) => void, app: Express) => void): Express {
  const app = express();
  const table = new ExactRoutes();
  app.use(table.handler());
  const from = app.router.stack.length;
  layout((router, method, path, by) => {
    const route = router.route(path);
    table.add(router, method, path, route);
    route[method]((req: Request, res: Response) => {
      if (req.query.fail !== undefined) throw new Error('failed');
      res.setHeader('x-by', by);
      res.send(`${by} ${String(req.route?.path)} ${JSON.stringify(req.params)}`);
    });
  }, app);
  table.keepRoutesBefore(app.router.stack.slice(from));
  app.use((_req: Request, res: Response) => res.status(404).send('none'));
  app.use((error: Error, _req: Request, res: Response, _next: express.NextFunction) => res.status(500).send(`error ${error.message}`));
  return app;
}

describe('routes without parameters found before the routers', () => {
  it('answers as the routers would: HEAD as GET, any query, other spellings, errors to the error handler', async () => {
    const url = await serve(
      appWith((add, app) => {
        const first = express.Router();
        const second = express.Router();
        app.use(first, second);
        add(first, 'get', '/api/a', 'a');
        add(second, 'get', '/api/b', 'b');
        add(second, 'post', '/api/b', 'b-post');
      }),
    );
    expect(await answer(`${url}/api/a`)).toBe('200 a /api/a {}');
    expect(await answer(`${url}/api/b?x=1`)).toBe('200 b /api/b {}');
    expect(await answer(`${url}/api/b`, 'POST')).toBe('200 b-post /api/b {}');
    expect(await answer(`${url}/api/b`, 'HEAD')).toBe('200 b');
    expect(await answer(`${url}/API/B/`)).toBe('200 b /api/b {}');
    expect(await answer(`${url}/api/b`, 'DELETE')).toBe('404 none');
    expect(await answer(`${url}/api/b?fail`)).toBe('500 error failed');
  });

  it('leaves a path to the route registered first when an earlier one could match it', async () => {
    const url = await serve(
      appWith((add, app) => {
        const router = express.Router();
        app.use(router);
        add(router, 'get', '/api/things/:id', 'param');
        add(router, 'get', '/api/things/special', 'exact');
        add(router, 'get', '/API/Other', 'first');
        add(router, 'get', '/api/other', 'second');
      }),
    );
    expect(await answer(`${url}/api/things/special`)).toBe('200 param /api/things/:id {"id":"special"}');
    expect(await answer(`${url}/api/other`)).toBe('200 first /API/Other {}');
  });

  it('leaves the routes after any other middleware to Express', async () => {
    const url = await serve(
      appWith((add, app) => {
        const before = express.Router();
        const after = express.Router();
        app.use(before);
        app.use('/api/late', (_req, res) => {
          res.send('middleware');
        });
        app.use(after);
        add(before, 'get', '/api/early', 'early');
        add(after, 'get', '/api/late', 'late');
      }),
    );
    expect(await answer(`${url}/api/early`)).toBe('200 early /api/early {}');
    expect(await answer(`${url}/api/late`)).toBe('200 middleware');
  });
});
