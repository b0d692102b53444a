#!/usr/bin/env node
import { main } from './cli.js';

// `node dist/main.js` serves; any argument is a CLI command (`operator`, `developers ...`).
main(process.argv.slice(2));
