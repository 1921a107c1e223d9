#!/usr/bin/env node
// The `k8ts` command: runs the TypeScript CLI directly (Node 24 strips the types).
await import("../src/cli/main.ts");
