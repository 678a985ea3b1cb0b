/**
 * Reads one file at a commit with a single `git cat-file --batch` process: its header
 * says whether the path exists and how big it is before any content is read, so a
 * missing file costs no second process and an oversized one is refused unread.
 * (simple-git cannot write to a command's stdin, hence a plain spawn.)
 */
import { spawn } from 'node:child_process';

export type BlobResult =
  | { kind: 'missing' }
  | { kind: 'not-a-file'; type: string }
  | { kind: 'too-large'; size: number }
  | { kind: 'blob'; text: string };

export function readBlob(
  repoPath: string,
  env: Record<string, string>,
  spec: string,
  maxBytes: number,
  timeoutMs = 120_000,
): Promise<BlobResult> {
  return new Promise((resolve, reject) => {
    const git = spawn('git', ['cat-file', '--batch'], { cwd: repoPath, env, stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs });
    const chunks: Buffer[] = [];
    let received = 0;
    let stderr = '';
    let result: BlobResult | undefined;
    let header: { type: string; size: number; start: number } | undefined;

    const finish = (value: BlobResult) => {
      result ??= value;
      git.kill();
    };
    git.stdout.on('data', (chunk: Buffer) => {
      if (result) return;
      chunks.push(chunk);
      received += chunk.length;
      const all = chunks.length === 1 ? chunk : Buffer.concat(chunks);
      if (!header) {
        const eol = all.indexOf(10);
        if (eol === -1) return;
        const line = all.subarray(0, eol).toString();
        if (line.endsWith(' missing') || line.endsWith(' ambiguous')) return finish({ kind: 'missing' });
        const [, type, size] = line.split(' ');
        header = { type, size: Number(size), start: eol + 1 };
        if (type !== 'blob') return finish({ kind: 'not-a-file', type });
        if (header.size > maxBytes) return finish({ kind: 'too-large', size: header.size });
      }
      if (received >= header.start + header.size) {
        finish({ kind: 'blob', text: all.subarray(header.start, header.start + header.size).toString('utf8') });
      }
    });
    git.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    git.on('error', reject);
    git.on('close', (code, signal) => {
      if (result) resolve(result);
      else reject(new Error(`git cat-file ended (${signal ?? `code ${code}`}) without an answer: ${stderr.trim().slice(0, 500)}`));
    });
    git.stdin.on('error', () => {}); // it may exit before reading all of its input
    git.stdin.end(`${spec}\n`);
  });
}
