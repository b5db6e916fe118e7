// MurmurHash3 (x86, 32-bit, seed 0) over a JavaScript string, computed exactly as the `imurmurhash`
// package (0.1.4) does it, because that is what @openfeature/flagd-core's `fractional` operator calls.
// For ASCII text this is the reference MurmurHash3 of the bytes. For other characters imurmurhash
// feeds each UTF-16 code unit into its byte slot with 16 bits (the slot of byte 3 takes the low byte
// and folds the high byte into byte 0), and it skips the tail mix when the tail word is negative as a
// signed 32-bit integer; both quirks are kept so that every key lands in the bucket flagd-core picks.

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixK(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

/** The 32-bit MurmurHash3 of `key` as imurmurhash computes it (an unsigned integer, 0 … 2^32 − 1). */
export function murmur3(key: string): number {
  const length = key.length;
  const aligned = length - (length & 3);
  let h = 0;
  let i = 0;
  while (i < aligned) {
    const top = key.charCodeAt(i + 3);
    let k =
      (key.charCodeAt(i) & 0xffff) ^
      ((key.charCodeAt(i + 1) & 0xffff) << 8) ^
      ((key.charCodeAt(i + 2) & 0xffff) << 16) ^
      ((top & 0xff) << 24) ^
      ((top & 0xff00) >> 8);
    k = mixK(k);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    i += 4;
  }
  const tail = length & 3;
  let k = 0;
  if (tail === 3) k ^= (key.charCodeAt(i + 2) & 0xffff) << 16;
  if (tail >= 2) k ^= (key.charCodeAt(i + 1) & 0xffff) << 8;
  if (tail >= 1) k ^= key.charCodeAt(i) & 0xffff;
  // imurmurhash mixes the tail only when it is positive as a signed 32-bit integer.
  if (k > 0) h ^= mixK(k);
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * `murmur3(prefix + key)` without building the concatenated string: the prefix's whole 4-character
 * blocks are mixed once, here; each call mixes the prefix's last 0-3 characters and the key.
 */
export function prefixedMurmur3(prefix: string): (key: string) => number {
  const aligned = prefix.length - (prefix.length & 3);
  let seed = 0;
  for (let i = 0; i < aligned; i += 4) {
    const top = prefix.charCodeAt(i + 3);
    const k =
      (prefix.charCodeAt(i) & 0xffff) ^
      ((prefix.charCodeAt(i + 1) & 0xffff) << 8) ^
      ((prefix.charCodeAt(i + 2) & 0xffff) << 16) ^
      ((top & 0xff) << 24) ^
      ((top & 0xff00) >> 8);
    seed ^= mixK(k);
    seed = (seed << 13) | (seed >>> 19);
    seed = (Math.imul(seed, 5) + 0xe6546b64) | 0;
  }
  const rest = prefix.slice(aligned);
  const restLength = rest.length;
  const r0 = rest.charCodeAt(0);
  const r1 = rest.charCodeAt(1);
  const r2 = rest.charCodeAt(2);
  return (key: string): number => {
    const length = restLength + key.length;
    const total = aligned + length;
    // Character j of rest + key.
    const at = (j: number): number => (j < restLength ? (j === 0 ? r0 : j === 1 ? r1 : r2) : key.charCodeAt(j - restLength));
    const end = length - (length & 3);
    let h = seed;
    let j = 0;
    while (j < end) {
      const top = at(j + 3);
      let k = (at(j) & 0xffff) ^ ((at(j + 1) & 0xffff) << 8) ^ ((at(j + 2) & 0xffff) << 16) ^ ((top & 0xff) << 24) ^ ((top & 0xff00) >> 8);
      k = mixK(k);
      h ^= k;
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
      j += 4;
    }
    const tail = length & 3;
    let k = 0;
    if (tail === 3) k ^= (at(j + 2) & 0xffff) << 16;
    if (tail >= 2) k ^= (at(j + 1) & 0xffff) << 8;
    if (tail >= 1) k ^= at(j) & 0xffff;
    if (k > 0) h ^= mixK(k);
    h ^= total;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
  };
}
