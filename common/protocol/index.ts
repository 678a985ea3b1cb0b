/**
 * The queen⇄drone protocol: constants, zod schemas of every message and the types derived
 * from them, and the parsers. Imports only Node built-ins and zod: drones depend on this
 * folder alone. Browser code imports types only, or values from ./constants.ts (no zod).
 */
export * from './constants.ts';
export { encodeDataFrame } from './data-frame.ts';
export * from './job-spec.ts';
export * from './messages.ts';
export * from './parse.ts';
export { ProtocolError } from './protocol-error.ts';
