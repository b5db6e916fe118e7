// Types for the test-only import of imurmurhash (the hash @openfeature/flagd-core uses).
declare module 'imurmurhash' {
  interface MurmurHash3 {
    hash(key: string): MurmurHash3;
    result(): number;
    reset(seed?: number): MurmurHash3;
  }
  const MurmurHash3: new (key?: string, seed?: number) => MurmurHash3;
  export default MurmurHash3;
}
