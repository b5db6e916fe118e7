// Lint: typescript-eslint (type-aware) and Charter's own rules (@charter/eslint-plugin, recommended),
// which read agent.yaml beside the code: tools must be declared in the manifest, irreversible ones need
// an approval policy, side-effecting ones an idempotency key, every tool a timeout and a version.
import charter from '@charter/eslint-plugin';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.charter/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  { files: ['src/**/*.ts'], ...charter.configs.recommended },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.js', '**/*.mjs'], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
);
