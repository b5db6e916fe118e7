import { checkManifestFileName, DEFAULT_MANIFEST_FILE } from './manifest.js';

/** Options shared by the rules that read the agent manifest beside the code. */
export interface ManifestOptions {
  /** File name looked up from the linted file's directory upwards to the package root; default `agent.yaml`. */
  readonly manifestFile?: string;
  /** Report code that needs a manifest when none is found (default false: such code is skipped). */
  readonly requireManifest?: boolean;
}

export const manifestOptionsSchema = {
  type: 'object',
  properties: {
    manifestFile: {
      type: 'string',
      minLength: 1,
      maxLength: 128,
      description: 'Manifest file name, looked up from the linted file to its package root.',
    },
    requireManifest: { type: 'boolean', description: 'Report when no manifest is found.' },
  },
  additionalProperties: false,
} as const;

export const defaultManifestOptions: Required<ManifestOptions> = { manifestFile: DEFAULT_MANIFEST_FILE, requireManifest: false };

export function resolveManifestOptions(options: ManifestOptions): Required<ManifestOptions> {
  return {
    manifestFile: checkManifestFileName(options.manifestFile ?? DEFAULT_MANIFEST_FILE),
    requireManifest: options.requireManifest ?? false,
  };
}
