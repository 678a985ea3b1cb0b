/** Where things live in the web UI; forges and notifications link to builds through here. */
export const buildPath = (jobId: string) => `/builds/${jobId}`;
export const projectPath = (projectId: string) => `/projects/${projectId}`;
export const userPath = (userId: string) => `/users/${userId}`;
export const buildUrl = (publicUrl: string, jobId: string) => `${publicUrl.replace(/\/$/, '')}${buildPath(jobId)}`;
export const rawLogPath = (jobId: string) => `/api/jobs/${jobId}/log`;
