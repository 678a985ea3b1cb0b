/** Git object ids as git prints them: SHA-1 (40) or SHA-256 (64) lowercase hex digits. */
export function isObjectId(text: string): boolean {
  return /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(text);
}
