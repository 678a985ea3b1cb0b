/**
 * The masking key of the drone's WebSocket frames: all zeros, which ws on both ends
 * recognises and skips (the XOR of every payload byte, in JavaScript without the optional
 * bufferutil addon, cost the drone ~0.75 s and the queen ~0.7 s of CPU per 65 MB of job
 * output — a tenth of each one's work on a large log).
 *
 * Why that is safe here: RFC 6455 masks client frames so that a script in a *browser*
 * cannot place bytes of its choosing on the wire to a proxy that misreads them as an HTTP
 * request (cache poisoning). The drone is no browser, and every frame it sends is JSON
 * text, whose strings escape CR, LF and every control character: no frame can contain an
 * HTTP request line, whatever a build prints.
 */
export function zeroMask(mask: Buffer): void {
  mask.fill(0);
}
