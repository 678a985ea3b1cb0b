/**
 * The masking key of the drone's WebSocket frames: all zeros, which ws on both ends
 * recognises and skips (the XOR of every payload byte, in JavaScript without the optional
 * bufferutil addon, cost the drone ~0.75 s and the queen ~0.7 s of CPU per 65 MB of job
 * output — a tenth of each one's work on a large log).
 *
 * Why that is safe here: RFC 6455 masks client frames so that a script in a *browser*
 * cannot place bytes of its choosing on the wire to a proxy that misreads them as an HTTP
 * request (cache poisoning). The drone is no browser. Its JSON frames escape CR, LF and
 * every control character, so they cannot hold an HTTP request line; its data frames
 * (common/protocol/data-frame.ts) carry a command's output as it is, so a build can put a
 * request line on the wire to the queen. What that would let it do — have a proxy
 * between drone and queen that ignores the WebSocket upgrade send a request of its
 * choosing — a build can do anyway and more directly: it runs code of its author's
 * choosing on the drone, with the drone's network. It cannot poison a cache with a
 * response of its choosing either: the replies on the socket are the queen's. Masking
 * the data frames (in JavaScript, ~7 ns per byte on each end; ~1 ns with the bufferutil
 * addon) would cost more than the encoding they save.
 */
export function zeroMask(mask: Buffer): void {
  mask.fill(0);
}
