/**
 * Serves a test repository over git's smart HTTP protocol behind Basic auth, the way a
 * forge serves a private repository: git's own `git-http-backend` runs as a CGI behind a
 * small node server that refuses (401) any request without the right credentials.
 *
 *   const http = await serveRepoOverHttp(repo, { username: 'x-access-token', password: token });
 *   http.url;              // http://127.0.0.1:PORT/repo
 *   http.authorizations;   // every Authorization header received (to prove the token was used)
 *
 * `beforeServe` runs before each authorized request is answered (a test may change the
 * repository between two fetches, deterministically).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join } from 'node:path';
import type { GitRepo } from './git-repo.ts';

export interface GitHttpServer {
  url: string;
  authorizations: string[];
  close(): Promise<void>;
}

const backend = join(execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim(), 'git-http-backend');

export async function serveRepoOverHttp(
  repo: GitRepo,
  auth: { username: string; password: string },
  options: { beforeServe?: (req: IncomingMessage) => Promise<void> | void } = {},
): Promise<GitHttpServer> {
  const expected = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  const authorizations: string[] = [];
  const server = createServer(async (req, res) => {
    authorizations.push(req.headers.authorization ?? '');
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="hive-test"' }).end();
      return;
    }
    if (options.beforeServe) {
      req.pause();
      await options.beforeServe(req);
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const cgi = spawn(backend, [], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: dirname(repo.dir),
        GIT_HTTP_EXPORT_ALL: '1',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_USER: auth.username,
        ...(req.headers['content-encoding'] && { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) }),
        ...(req.headers['git-protocol'] && { GIT_PROTOCOL: String(req.headers['git-protocol']) }),
      },
    });
    req.pipe(cgi.stdin);
    const chunks: Buffer[] = [];
    cgi.stdout.on('data', (c: Buffer) => chunks.push(c));
    cgi.on('close', () => {
      // A CGI answer: headers, a blank line, the body.
      const out = Buffer.concat(chunks);
      const split = out.indexOf('\r\n\r\n');
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of out.subarray(0, split).toString().split('\r\n')) {
        const at = line.indexOf(': ');
        const [k, v] = [line.slice(0, at), line.slice(at + 2)];
        if (k.toLowerCase() === 'status') status = Number.parseInt(v, 10);
        else if (k) headers[k] = v;
      }
      res.writeHead(status, headers).end(out.subarray(split + 4));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/${basename(repo.dir)}`,
    authorizations,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
