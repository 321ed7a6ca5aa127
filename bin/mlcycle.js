#!/usr/bin/env node
// The CLI is written in TypeScript; tsx's loader lets the bin run it without a build step.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/index.ts');
