/** Types of build-freshness.mjs, for the TypeScript tests that import it. */
export declare function newestSource(root: string): number;
export declare const buildStamp: (root: string) => string;
export declare function isBuildFresh(root: string): boolean;
