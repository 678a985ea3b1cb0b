/** The queen⇄drone protocol. Imports only Node built-ins: drones depend on this folder alone. */
export * from './job-spec.ts';
export * from './messages.ts';
export * from './parse.ts';
export { ProtocolError } from './protocol-error.ts';
