#!/usr/bin/env node
// flowctl: runs src/cli/main.ts through tsx, so the command line needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
