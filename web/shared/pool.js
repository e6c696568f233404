// Reusable ArrayBuffers for the copies the page sends to the worker.
//
// The page never detaches a widget's own buffers: it sends copies. A fresh 64 MB ArrayBuffer
// costs its page faults on top of the copy itself; so the worker, once Python has copied a large
// buffer into its own memory, gives the ArrayBuffer back (`{recycle}`, docs/protocol.md) and the
// next copy of the same size goes into it. Streams of equal-sized buffers (frames, tiles) then
// cost one warm memcpy on the page.
// @ts-check

/** Buffers smaller than this are not worth the round trip back. */
export const RECYCLE_MIN_BYTES = 1 << 20;

export class BufferPool {
  /** @type {Map<number, ArrayBuffer[]>} */
  #free = new Map();
  #bytes = 0;
  #maxBytes;
  #idleMs;
  /** @type {ReturnType<typeof setTimeout> | null} */
  #timer = null;

  /**
   * @param {object} [options]
   * @param {number} [options.maxBytes]  At most this many bytes are kept (default 256 MiB).
   * @param {number} [options.idleMs]  Everything is let go after this long without use (default 10 s).
   */
  constructor({ maxBytes = 256 << 20, idleMs = 10_000 } = {}) {
    this.#maxBytes = maxBytes;
    this.#idleMs = idleMs;
  }

  /** Bytes held now. */
  get bytes() {
    return this.#bytes;
  }

  /**
   * A copy of `source` in a pooled buffer of its size if there is one, else in a new one.
   * @param {ArrayBuffer} source
   * @returns {ArrayBuffer}
   */
  copy(source) {
    const reused = this.#take(source.byteLength);
    if (!reused) return source.slice(0);
    new Uint8Array(reused).set(new Uint8Array(source));
    return reused;
  }

  /** Keep `buffer` for a later copy of its size (ignored when small, detached or over the limit).
   * @param {ArrayBuffer} buffer */
  put(buffer) {
    const n = buffer.byteLength;
    if (n < RECYCLE_MIN_BYTES || this.#bytes + n > this.#maxBytes) return;
    const list = this.#free.get(n) ?? [];
    list.push(buffer);
    this.#free.set(n, list);
    this.#bytes += n;
    this.#touch();
  }

  /** Let every buffer go. */
  clear() {
    this.#free.clear();
    this.#bytes = 0;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** @param {number} n */
  #take(n) {
    const list = this.#free.get(n);
    const buffer = list?.pop();
    if (!buffer) return null;
    if (list && list.length === 0) this.#free.delete(n);
    this.#bytes -= n;
    this.#touch();
    return buffer;
  }

  #touch() {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = this.#bytes > 0 ? setTimeout(() => this.clear(), this.#idleMs) : null;
    // @ts-ignore - Node's timers have unref (tests); browsers' are numbers
    this.#timer?.unref?.();
  }
}
