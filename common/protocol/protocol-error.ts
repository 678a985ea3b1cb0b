/** A message that is not valid JSON, not a known type, or has malformed fields. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
  readonly code = 'protocol_error';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
