/**
 * The requests that may carry uploaded files: multipart triggers of the API and the web
 * UI's run form. app.ts exempts exactly these from the general body limit
 * (HIVE_MAX_BODY_BYTES, whose Hono middleware would also buffer a streamed body whole);
 * their handlers read them with MultipartReader, which enforces HIVE_MAX_UPLOAD_BYTES
 * as the body streams in. Every other request keeps the small limit.
 */
const UPLOAD_PATHS = [
  /^\/api\/projects\/[^/]+\/(jobs|runs)$/,
  /^\/projects\/[^/]+\/run$/,
];

export function isUploadRequest(method: string, path: string, contentType: string | undefined): boolean {
  return method === 'POST'
    && /^multipart\/form-data\s*;/i.test(contentType ?? '')
    && UPLOAD_PATHS.some((p) => p.test(path));
}
