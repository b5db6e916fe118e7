#!/usr/bin/env node
// The `charter` executable. It is committed with its execute bit (git mode 100755) instead of being
// emitted by tsc: npm links it during `npm ci`, before anything is built, and no build rewrites it.
// It loads the package by its own name, so `node --conditions=@charter/source --import tsx` runs the
// TypeScript sources and a plain `node` runs the build in dist/.
import process from 'node:process';

let cli;
try {
  // The command runner alone, not the package's index: the index also exports the `validate` report's
  // zod schemas, which a `charter check` served from its result cache never needs.
  cli = await import('@charter/cli/main');
} catch (error) {
  if (error instanceof Error && 'code' in error && error.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write(
      `charter: the CLI is not built (${error.message.split('\n')[0]}): run "npm run build" in the repository (npm ci does it through the prepare script)\n`,
    );
    process.exit(70);
  }
  throw error;
}
process.exitCode = await cli.main(process.argv.slice(2), cli.processIo());
