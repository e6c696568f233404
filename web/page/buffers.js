// Binary values in widget state: pulled out before sending, put back on arrival,
// as ipywidgets does (`remove_buffers` / `put_buffers`).
// @ts-check

/** @typedef {Array<string | number>} BufferPath */

/** @param {unknown} value @returns {value is ArrayBuffer | ArrayBufferView} */
export function isBinary(value) {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

/**
 * The bytes of a binary value as an ArrayBuffer: the buffer itself, or, for a view over
 * part of a buffer, a copy of just its bytes.
 * @param {ArrayBuffer | ArrayBufferView} value
 * @returns {ArrayBuffer}
 */
export function toArrayBuffer(value) {
  if (value instanceof ArrayBuffer) return value;
  const { buffer, byteOffset, byteLength } = value;
  if (byteOffset === 0 && byteLength === buffer.byteLength && buffer instanceof ArrayBuffer) return buffer;
  return /** @type {ArrayBuffer} */ (buffer.slice(byteOffset, byteOffset + byteLength));
}

/**
 * A binary value as the DataView that widgets receive.
 * @param {ArrayBuffer | ArrayBufferView} value
 * @returns {DataView}
 */
export function toDataView(value) {
  if (value instanceof DataView) return value;
  if (value instanceof ArrayBuffer) return new DataView(value);
  return new DataView(value.buffer, value.byteOffset, value.byteLength);
}

/** @param {unknown} value @returns {value is Record<string, unknown>} */
function isPlainObject(value) {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Pull every binary value out of `state`. A binary dict value is deleted, a binary list
 * element is replaced by null; the input is not mutated (containers on a path to a buffer
 * are copied). Values with a `toJSON` method are replaced by its result.
 * @param {Record<string, any>} state
 * @returns {{state: Record<string, any>, buffer_paths: BufferPath[], buffers: ArrayBuffer[]}}
 */
export function removeBuffers(state) {
  /** @type {ArrayBuffer[]} */
  const buffers = [];
  /** @type {BufferPath[]} */
  const buffer_paths = [];

  /** @param {any} obj @param {BufferPath} path @returns {any} */
  function remove(obj, path) {
    if (obj && typeof obj.toJSON === "function" && !isBinary(obj)) obj = obj.toJSON();
    if (Array.isArray(obj)) {
      let copy = obj;
      obj.forEach((value, i) => {
        if (isBinary(value)) {
          if (copy === obj) copy = obj.slice();
          buffers.push(toArrayBuffer(value));
          buffer_paths.push([...path, i]);
          copy[i] = null;
        } else if (value && typeof value === "object") {
          const replaced = remove(value, [...path, i]);
          if (replaced !== value) {
            if (copy === obj) copy = obj.slice();
            copy[i] = replaced;
          }
        }
      });
      return copy;
    }
    if (isPlainObject(obj)) {
      let copy = obj;
      for (const [key, value] of Object.entries(obj)) {
        if (isBinary(value)) {
          if (copy === obj) copy = { ...obj };
          buffers.push(toArrayBuffer(value));
          buffer_paths.push([...path, key]);
          delete copy[key];
        } else if (value && typeof value === "object") {
          const replaced = remove(value, [...path, key]);
          if (replaced !== value) {
            if (copy === obj) copy = { ...obj };
            copy[key] = replaced;
          }
        }
      }
      return copy;
    }
    return obj;
  }

  return { state: remove(state, []), buffer_paths, buffers };
}

/**
 * Put `buffers` back into `state` (mutated) at `buffer_paths`, each as a DataView.
 * @param {Record<string, any>} state
 * @param {BufferPath[]} buffer_paths
 * @param {Array<ArrayBuffer | ArrayBufferView>} buffers
 */
export function putBuffers(state, buffer_paths, buffers) {
  if (buffer_paths.length > buffers.length) {
    throw new Error(
      `[fh-anywidget] a message names ${buffer_paths.length} buffer paths but carries ${buffers.length} buffers; ` +
        "the sender must send one buffer per path",
    );
  }
  buffer_paths.forEach((path, i) => {
    if (path.length === 0) throw new Error("[fh-anywidget] a buffer path is empty; the state itself cannot be a buffer");
    /** @type {any} */
    let obj = state;
    for (const step of path.slice(0, -1)) {
      if (obj[step] === undefined || obj[step] === null) obj[step] = typeof step === "number" ? [] : {};
      obj = obj[step];
    }
    obj[path[path.length - 1]] = toDataView(buffers[i]);
  });
  return state;
}
