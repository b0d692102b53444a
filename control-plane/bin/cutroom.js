#!/usr/bin/env node
// The `cutroom` command. A committed launcher, so npm links it at install time, before the build.
import { main } from '../dist/cli.js';

main(process.argv.slice(2));
