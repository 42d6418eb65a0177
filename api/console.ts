// The web console (console/: React + Vite + Ant Design), served at /console by the API process.
// Its bundle is built by `npm install` and `npm start` (scripts/build-console.js), never committed;
// the console itself calls /api/v1 with the token its user signed in with, so these routes are public.
import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export const consolePrefix = '/console';
export const defaultConsoleDir = path.join(__dirname, '../console/dist');

const notBuilt = (dir: string) =>
  `The console is not built (no ${path.join(dir, 'index.html')}): run \`npm run build:console\` (npm install and npm start do it).\n`;

/** Mounts the console at /console: files from `dir`, any other path the app's page (client-side routes). */
export async function installConsole(app: FastifyInstance, dir: string = defaultConsoleDir): Promise<void> {
  const hide = { hide: true } as Record<string, unknown>;
  app.get(consolePrefix, { config: { public: true }, schema: hide }, async (_request, reply) => reply.redirect(`${consolePrefix}/`));
  if (!fs.existsSync(path.join(dir, 'index.html'))) {
    const answer = async (_request: unknown, reply: { code(n: number): { type(t: string): { send(b: string): unknown } } }) => reply.code(503).type('text/plain; charset=utf-8').send(notBuilt(dir));
    app.get(`${consolePrefix}/*`, { config: { public: true }, schema: hide }, answer);
    return;
  }
  await app.register(
    async (scope) => {
      await scope.register(fastifyStatic, {
        root: dir,
        prefix: '/',
        schemaHide: true,
        // Hashed file names under assets/ never change; the page itself is always revalidated.
        cacheControl: false,
        setHeaders: (res, file) => res.setHeader('cache-control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache'),
      });
      scope.addHook('onRoute', (route) => {
        route.config = { ...(route.config as object), public: true };
      });
      // A path that is no file is one of the console's own pages (/console/tasks/…): the app answers it.
      scope.setNotFoundHandler((request, reply) => {
        if (request.method !== 'GET' && request.method !== 'HEAD') return reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` });
        if (/\/assets\//.test(request.url)) return reply.code(404).send({ error: 'not_found', message: `no file ${request.url.split('?')[0]}` });
        return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').sendFile('index.html');
      });
    },
    { prefix: consolePrefix },
  );
}
