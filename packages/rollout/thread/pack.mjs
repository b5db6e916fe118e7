// A compact encoding of plain data for the shared handoff (plain JavaScript shared by the control's
// thread, which packs, and the shadow's worker thread, which unpacks). Why not v8.serialize: a handoff
// runs once every `handoffMs`, so whatever it touches is cold in the CPU's caches by then, and the
// serialiser's code path is long (measured: the first v8.serialize of a 20-sample batch after a quiet
// spell costs ~40 µs on the control's thread, the next one ~6 µs). This packer is a short loop over
// a DataView. It handles undefined, null, booleans, numbers, strings (UTF-16 code units, lone
// surrogates kept), dense arrays and plain objects (prototype Object.prototype or null; own enumerable
// string keys) up to a depth of 32; anything else (Date, Map, Set, bigint, typed arrays, class
// instances, holes, cycles) makes `pack` return undefined and the caller uses v8.serialize. Shared
// references are copied, not kept shared (the comparison and the candidate see equal values).
const T_UNDEFINED = 0;
const T_NULL = 1;
const T_FALSE = 2;
const T_TRUE = 3;
const T_NUMBER = 4;
const T_STRING = 5;
const T_ARRAY = 6;
const T_OBJECT = 7;
const MAX_DEPTH = 32;

let buffer;
let view;
/** The same buffer as 32-bit words (made with the buffer: `packedWords` reads no typed array's `buffer`). */
let packedWordView;
let at = 0;

/** Packs into `next` from now on (its size a multiple of 4). */
function use(next) {
  buffer = next;
  view = new DataView(next);
  packedWordView = new Int32Array(next);
}
use(new ArrayBuffer(1 << 16));

function room(bytes) {
  if (at + bytes <= buffer.byteLength) return;
  let size = buffer.byteLength * 2;
  while (size < at + bytes) size *= 2;
  const grown = new ArrayBuffer(size);
  new Uint8Array(grown).set(new Uint8Array(buffer, 0, at));
  use(grown);
}

function string(value) {
  const length = value.length;
  room(5 + length * 2);
  view.setUint8(at, T_STRING);
  view.setUint32(at + 1, length, true);
  at += 5;
  for (let index = 0; index < length; index++) {
    view.setUint16(at, value.charCodeAt(index), true);
    at += 2;
  }
}

/** Writes `value`; false when it is not plain data. */
function write(value, depth) {
  switch (typeof value) {
    case 'undefined':
      room(1);
      view.setUint8(at++, T_UNDEFINED);
      return true;
    case 'boolean':
      room(1);
      view.setUint8(at++, value ? T_TRUE : T_FALSE);
      return true;
    case 'number':
      room(9);
      view.setUint8(at, T_NUMBER);
      view.setFloat64(at + 1, value, true);
      at += 9;
      return true;
    case 'string':
      string(value);
      return true;
    case 'object': {
      if (value === null) {
        room(1);
        view.setUint8(at++, T_NULL);
        return true;
      }
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        const length = value.length;
        room(5);
        view.setUint8(at, T_ARRAY);
        view.setUint32(at + 1, length, true);
        at += 5;
        for (let index = 0; index < length; index++) {
          if (!(index in value)) return false;
          if (!write(value[index], depth + 1)) return false;
        }
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      const keys = Object.keys(value);
      room(5);
      view.setUint8(at, T_OBJECT);
      view.setUint32(at + 1, keys.length, true);
      at += 5;
      for (const key of keys) {
        string(key);
        if (!write(value[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/**
 * Packs plain data into the internal buffer, from its start; returns the length, or -1 when the value is
 * not plain data as the header says. The bytes are valid until the next call: copy them out.
 */
function packInto(value) {
  restart();
  return write(value, 0) ? at : -1;
}

/** Back to the buffer's start; a huge batch grew it: the memory is given back (the previous bytes were copied out already). */
function restart() {
  at = 0;
  if (buffer.byteLength > 1 << 22) use(new ArrayBuffer(1 << 16));
}

/**
 * Packs the pair `[first, second]` as `packInto` would pack that array, without making the array (the
 * shadow runner does it for every request). Returns the length, or -1 when either is not plain data.
 */
export function packPairInto(first, second) {
  restart();
  view.setUint8(0, T_ARRAY);
  view.setUint32(1, 2, true);
  at = 5;
  return write(first, 1) && write(second, 1) ? at : -1;
}

/** The same buffer as 32-bit words (its size is a multiple of 4), for a copy a word at a time. */
export function packedWords() {
  return packedWordView;
}

/**
 * Packs plain data; returns a view of an internal buffer (valid until the next call: copy it out) or
 * undefined when the value is not plain data as the header says.
 */
export function pack(value) {
  const length = packInto(value);
  return length < 0 ? undefined : new Uint8Array(buffer, 0, length);
}

/** Unpacks what `pack` wrote (the worker's side). */
export function unpack(bytes) {
  const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  const readString = () => {
    const length = data.getUint32(offset, true);
    offset += 4;
    let text = '';
    // In chunks: String.fromCharCode with many arguments is fast, but its argument count is bounded.
    for (let start = 0; start < length; start += 4096) {
      const end = Math.min(length, start + 4096);
      const units = new Array(end - start);
      for (let index = start; index < end; index++) {
        units[index - start] = data.getUint16(offset, true);
        offset += 2;
      }
      text += String.fromCharCode(...units);
    }
    return text;
  };
  const read = () => {
    const tag = data.getUint8(offset++);
    switch (tag) {
      case T_UNDEFINED:
        return undefined;
      case T_NULL:
        return null;
      case T_FALSE:
        return false;
      case T_TRUE:
        return true;
      case T_NUMBER: {
        const value = data.getFloat64(offset, true);
        offset += 8;
        return value;
      }
      case T_STRING:
        return readString();
      case T_ARRAY: {
        const length = data.getUint32(offset, true);
        offset += 4;
        const array = new Array(length);
        for (let index = 0; index < length; index++) array[index] = read();
        return array;
      }
      case T_OBJECT: {
        const count = data.getUint32(offset, true);
        offset += 4;
        const object = {};
        for (let index = 0; index < count; index++) {
          offset++; // the key's string tag
          const key = readString();
          // defineProperty, not assignment: a key "__proto__" stays an own property, as structured clone keeps it.
          Object.defineProperty(object, key, { value: read(), enumerable: true, writable: true, configurable: true });
        }
        return object;
      }
      default:
        throw new Error(`the shadow handoff's packed data is corrupt (tag ${String(tag)} at byte ${String(offset - 1)})`);
    }
  };
  return read();
}
