/** Types of test-group-entry.mjs, for the TypeScript tests that import it. */
export declare function groupEntryArgs(files: string[], root: string): string[];
