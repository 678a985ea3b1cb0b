/** Where things live in the web UI; forges and notifications link to builds through here. */
export const buildPath = (jobId: string) => `/builds/${jobId}`;
export const projectPath = (projectId: string) => `/projects/${projectId}`;
export const runPath = (runId: string) => `/runs/${runId}`;
export const userPath = (userId: string) => `/users/${userId}`;
export const buildUrl = (publicUrl: string, jobId: string) => `${publicUrl.replace(/\/$/, '')}${buildPath(jobId)}`;
/** A job's log as text: its current attempt's, or an earlier attempt's of a retried job. */
export const rawLogPath = (jobId: string, attempt?: number) => `/api/jobs/${jobId}/log${attempt ? `?attempt=${attempt}` : ''}`;
