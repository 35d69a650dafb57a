#!/usr/bin/env node
// The `chirp` command: npm links this file as node_modules/.bin/chirp. The CLI is TypeScript,
// like the workspaces it imports, so tsx's loader is registered before the entry is imported.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
