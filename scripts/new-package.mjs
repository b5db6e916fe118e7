// Scaffolds the files every @charter package has. Usage: node scripts/new-package.mjs <dir> <description>
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, ...descWords] = process.argv.slice(2);
if (!dir || !/^[a-z][a-z0-9-]{0,40}$/.test(dir) || descWords.length === 0) {
  console.error(
    'usage: node scripts/new-package.mjs <dir> <description>  (dir: lower-case letters, digits and -; the package is @charter/<dir>)',
  );
  process.exit(2);
}
const description = descWords.join(' ');
const root = join('packages', dir);
const name = `@charter/${dir}`;
mkdirSync(join(root, 'src'), { recursive: true });
const write = (file, text) => {
  const path = join(root, file);
  if (!existsSync(path)) writeFileSync(path, text);
};
write(
  'package.json',
  JSON.stringify(
    {
      name,
      version: '0.1.0',
      description,
      type: 'module',
      license: 'Apache-2.0',
      sideEffects: false,
      exports: {
        '.': { types: './dist/index.d.ts', '@charter/source': './src/index.ts', default: './dist/index.js' },
        './package.json': './package.json',
      },
      files: ['dist'],
      engines: { node: '>=20.19' },
      scripts: {
        build: 'tsc -p tsconfig.build.json',
        typecheck: 'tsc -p tsconfig.json --noEmit',
        lint: 'eslint .',
      },
      dependencies: {},
    },
    null,
    2,
  ) + '\n',
);
write(
  'tsconfig.json',
  JSON.stringify(
    { extends: '../../tsconfig.base.json', compilerOptions: { noEmit: true }, include: ['src', 'bench', 'tests', '*.ts'] },
    null,
    2,
  ) + '\n',
);
write(
  'tsconfig.build.json',
  JSON.stringify(
    {
      extends: '../../tsconfig.base.json',
      compilerOptions: { rootDir: 'src', outDir: 'dist', noEmit: false },
      include: ['src'],
      exclude: ['src/**/*.test.ts', 'src/**/*.test-d.ts', 'src/**/__fixtures__/**'],
    },
    null,
    2,
  ) + '\n',
);
write(
  'vitest.config.ts',
  `import { defineProject } from 'vitest/config';\nimport { sharedProject } from '../../vitest.shared.js';\n\nexport default defineProject(sharedProject('${dir}'));\n`,
);
write('README.md', `# ${name}\n\n${description}\n`);
console.log(`scaffolded ${root}`);
console.log(
  `next: place ${name} in a dependency layer (scripts/conventions/layers.json), say its one job and add an example to its README ` +
    "(node scripts/conventions.mjs checks both), add a changeset, and run npx charter catalog: the package's Backstage " +
    'Component is generated into catalog/generated/ (charter catalog --check in npm test fails until it is)',
);
