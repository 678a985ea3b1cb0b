/**
 * What a Docker job's container gets when its spec says nothing: the queen fills these in
 * when it builds a spec, and the drone falls back on them for a spec without `container`
 * (one from an older queen). One constant, so both sides agree.
 *
 * (Kept out of common/protocol/ while that is being rewritten; it may move into
 * job-spec.ts afterwards.)
 */
import type { ContainerOptions } from './protocol/index.ts';

export const DEFAULT_CONTAINER: Readonly<ContainerOptions> = Object.freeze({ pull: 'if-not-present', privileged: false });
