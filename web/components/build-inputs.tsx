/**
 * What a build was started with beside its ref, for the build page's facts: its parameter
 * values (environment variables of its commands) and the files uploaded with it, by name
 * and size — never their content.
 */
import type { UploadedFile } from '../../common/upload-files.ts';
import { formatBytes } from '../../common/upload-files.ts';

export interface BuildInputsProps {
  params: Record<string, string>;
  /** The upload's files; empty with `uploadId` set when retention removed them. */
  files?: readonly UploadedFile[];
  uploadId: string | null;
}

export function BuildInputs({ params, files = [], uploadId }: BuildInputsProps) {
  const entries = Object.entries(params);
  return (
    <>
      {entries.length > 0 ? (
        <div class="wide">
          <dt>Parameters</dt>
          <dd>
            <ul class="plain-list build-params" id="build-params">
              {entries.map(([name, value]) => (
                <li><code>{name}</code> = {value === '' ? <span class="muted">(empty)</span> : <code class="pre-line">{value}</code>}</li>
              ))}
            </ul>
          </dd>
        </div>
      ) : ''}
      {uploadId ? (
        <div class="wide">
          <dt>Files</dt>
          <dd>
            {files.length === 0 ? <span class="muted">removed by retention</span> : (
              <ul class="plain-list build-files" id="build-files">
                {files.map((f) => <li><code>{f.name}</code> <span class="muted small">{formatBytes(f.size)}</span></li>)}
              </ul>
            )}
          </dd>
        </div>
      ) : ''}
    </>
  );
}
