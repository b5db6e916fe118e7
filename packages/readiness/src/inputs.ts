import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';

/** What a path was when it was looked at: `absent` also covers a path that could not be looked at. */
export type PathKind = 'file' | 'directory' | 'other' | 'absent';

/** A folder's entry: its name and what it is (symbolic links are `other`, as `readdir`'s entries say). */
export interface FolderEntry {
  readonly name: string;
  readonly kind: Exclude<PathKind, 'absent'>;
}

/**
 * Every observation of the file system an evaluation made, by absolute path: the bytes of each file
 * read (sha256), the kind of each path looked up (found or not), the entries of each folder listed.
 */
export interface RecordedInputs {
  readonly files: Readonly<Record<string, string>>;
  readonly kinds: Readonly<Record<string, PathKind>>;
  /** Entries as `name` (file), `name/` (folder) or `name@` (anything else), sorted. */
  readonly folders: Readonly<Record<string, readonly string[]>>;
}

/**
 * The one door through which an evaluation reads the file system. `nodeFiles` reads without keeping
 * anything; an `InputRecorder` also records every observation, for the result cache.
 */
export interface Files {
  /** The file's text (UTF-8); throws like `readFileSync`. */
  read(path: string): string;
  /** The file's text, or undefined when it cannot be read. */
  tryRead(path: string): string | undefined;
  kind(path: string): PathKind;
  exists(path: string): boolean;
  /** The folder's entries in directory order; throws like `readdirSync`. */
  list(path: string): readonly FolderEntry[];
  /** Says that the result depends on something the door cannot see (e.g. a `git` process): it must not be cached. */
  opaque(reason: string): void;
  /** True when observations are kept (an `InputRecorder`). */
  readonly recording: boolean;
}

/** The kind of `path` (statSync, following links). */
export function kindOf(path: string): PathKind {
  try {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) return 'absent';
    return stat.isFile() ? 'file' : stat.isDirectory() ? 'directory' : 'other';
  } catch {
    return 'absent';
  }
}

function entriesOf(path: string): FolderEntry[] {
  return readdirSync(path, { withFileTypes: true }).map((entry) => ({
    name: entry.name,
    kind: entry.isFile() ? 'file' : entry.isDirectory() ? 'directory' : 'other',
  }));
}

/** How a folder's entries are recorded and compared. */
export function listingOf(entries: readonly FolderEntry[]): string[] {
  return entries.map((entry) => `${entry.name}${entry.kind === 'directory' ? '/' : entry.kind === 'other' ? '@' : ''}`).sort();
}

export const digestOf = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** The file system as it is, nothing recorded. */
export const nodeFiles: Files = {
  read: (path) => readFileSync(path, 'utf8'),
  tryRead: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  kind: kindOf,
  exists: (path) => kindOf(path) !== 'absent',
  list: entriesOf,
  opaque: () => undefined,
  recording: false,
};

/**
 * A `Files` door that records what it observed. A file read twice with different bytes (changed during
 * the evaluation) makes the record opaque: such a result is never cached.
 */
export class InputRecorder implements Files {
  readonly recording = true;
  readonly #files = new Map<string, string>();
  readonly #kinds = new Map<string, PathKind>();
  readonly #folders = new Map<string, string[]>();
  readonly #opaque: string[] = [];

  read(path: string): string {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      this.kind(path);
      throw error;
    }
    const digest = digestOf(bytes);
    const known = this.#files.get(path);
    if (known !== undefined && known !== digest) this.opaque(`${path} changed during the evaluation`);
    else this.#files.set(path, digest);
    return bytes.toString('utf8');
  }

  tryRead(path: string): string | undefined {
    try {
      return this.read(path);
    } catch {
      return undefined;
    }
  }

  kind(path: string): PathKind {
    const kind = kindOf(path);
    const known = this.#kinds.get(path);
    if (known !== undefined && known !== kind) this.opaque(`${path} changed during the evaluation`);
    else this.#kinds.set(path, kind);
    return kind;
  }

  exists(path: string): boolean {
    return this.kind(path) !== 'absent';
  }

  list(path: string): readonly FolderEntry[] {
    let entries: FolderEntry[];
    try {
      entries = entriesOf(path);
    } catch (error) {
      this.kind(path);
      throw error;
    }
    const listing = listingOf(entries);
    const known = this.#folders.get(path);
    if (known !== undefined && known.join('\n') !== listing.join('\n')) this.opaque(`${path} changed during the evaluation`);
    else this.#folders.set(path, listing);
    return entries;
  }

  opaque(reason: string): void {
    this.#opaque.push(reason);
  }

  /** Why the result must not be cached (empty when it may be). */
  get opaqueReasons(): readonly string[] {
    return this.#opaque;
  }

  /** What was observed, sorted by path (stable JSON). */
  inputs(): RecordedInputs {
    const sorted = <T>(map: Map<string, T>): Record<string, T> =>
      Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return { files: sorted(this.#files), kinds: sorted(this.#kinds), folders: sorted(this.#folders) };
  }
}

/**
 * Whether the file system still shows what `inputs` recorded: every file has the same bytes, every path
 * the same kind, every folder the same entries. Returns the first difference, or undefined.
 */
export function changedInput(inputs: RecordedInputs): string | undefined {
  for (const [path, digest] of Object.entries(inputs.files)) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      return `${path} cannot be read any more`;
    }
    if (digestOf(bytes) !== digest) return `${path} changed`;
  }
  for (const [path, kind] of Object.entries(inputs.kinds)) {
    const now = kindOf(path);
    if (now !== kind)
      return `${path} was ${kind === 'absent' ? 'absent' : `a ${kind}`}, is ${now === 'absent' ? 'absent' : `a ${now}`} now`;
  }
  for (const [path, listing] of Object.entries(inputs.folders)) {
    let now: string[];
    try {
      now = listingOf(entriesOf(path));
    } catch {
      return `${path} cannot be listed any more`;
    }
    if (now.join('\n') !== listing.join('\n')) return `the entries of ${path} changed`;
  }
  return undefined;
}
