/**
 * A container registry that needs a login, on 127.0.0.1 (which Docker engines treat as an
 * insecure registry by default, so plain HTTP is fine): the Registry v2 API's read side,
 * enough for `docker pull` — `/v2/`, manifests by tag or digest, blobs — serving one image
 * made from an image the engine has (`docker save`, its layers gzipped). Every request
 * needs `Authorization: Basic` with one of the given users and its password; others get a 401 with
 * the challenge, as a private registry answers. No registry is reachable from here, so
 * this stands in for one; it records what it was asked, credentials included.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

const exec = promisify(execFile);
const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';

export interface FakeRegistry {
  /** `127.0.0.1:<port>`: an image there is `<host>/<name>:<tag>`. */
  host: string;
  /** The image it serves, `<host>/<name>:<tag>`. */
  image: string;
  /** Each request: its method, path and the Basic credentials it carried (`user:password`), if any. */
  requests: { method: string; path: string; basic?: string }[];
  close(): Promise<void>;
}

/** `logins`: user name → password, each accepted. */
export async function startFakeRegistry(options: { from: string; name: string; tag: string; logins: Record<string, string> }): Promise<FakeRegistry> {
  const blobs = new Map<string, Buffer>();
  const put = (bytes: Buffer) => {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    blobs.set(digest, bytes);
    return { digest, size: bytes.length };
  };
  const dir = await mkdtemp(join(tmpdir(), 'hive-fake-registry-'));
  try {
    await exec('docker', ['save', '-o', join(dir, 'image.tar'), options.from]);
    await exec('tar', ['-xf', join(dir, 'image.tar'), '-C', dir]);
    const [saved] = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { Config: string; Layers: string[] }[];
    const config = put(await readFile(join(dir, saved.Config)));
    const layers = [];
    for (const layer of saved.Layers) layers.push(put(gzipSync(await readFile(join(dir, layer)))));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_TYPE,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', ...config },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', ...l })),
    }));
    const manifestDigest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;

    const requests: FakeRegistry['requests'] = [];
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://registry').pathname;
      const basic = basicOf(req);
      requests.push({ method: req.method ?? '', path, ...(basic !== undefined && { basic }) });
      const send = (status: number, headers: Record<string, string | number>, body: Buffer | string) => {
        res.writeHead(status, { 'Docker-Distribution-Api-Version': 'registry/2.0', 'Content-Length': Buffer.byteLength(body), ...headers });
        res.end(req.method === 'HEAD' ? undefined : body);
      };
      const error = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
        send(status, { 'Content-Type': 'application/json', ...headers }, JSON.stringify({ errors: [{ code, message }] }));
      const colon = basic?.indexOf(':') ?? -1;
      if (basic === undefined || colon < 0 || options.logins[basic.slice(0, colon)] !== basic.slice(colon + 1)) {
        return error(401, 'UNAUTHORIZED', 'authentication required', { 'WWW-Authenticate': 'Basic realm="hive-fake-registry"' });
      }
      if (path === '/v2/' || path === '/v2') return send(200, { 'Content-Type': 'application/json' }, '{}');
      const manifestPath = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(path);
      if (manifestPath) {
        const [, name, ref] = manifestPath;
        if (name !== options.name || (ref !== options.tag && ref !== manifestDigest)) return error(404, 'MANIFEST_UNKNOWN', 'manifest unknown');
        return send(200, { 'Content-Type': MANIFEST_TYPE, 'Docker-Content-Digest': manifestDigest }, manifest);
      }
      const blobPath = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/.exec(path);
      const blob = blobPath && blobPath[1] === options.name ? blobs.get(blobPath[2]) : undefined;
      if (blob) return send(200, { 'Content-Type': 'application/octet-stream', 'Docker-Content-Digest': blobPath![2] }, blob);
      return error(404, blobPath ? 'BLOB_UNKNOWN' : 'NAME_UNKNOWN', 'not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      host,
      image: `${host}/${options.name}:${options.tag}`,
      requests,
      close: () => new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function basicOf(req: IncomingMessage): string | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return match ? Buffer.from(match[1], 'base64').toString('utf8') : undefined;
}
