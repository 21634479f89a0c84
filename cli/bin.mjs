#!/usr/bin/env node
// Entry point of `npx fuze-bench`: run the TypeScript CLI through tsx so no build step is needed.
import { register } from 'tsx/esm/api'
register()
const { main } = await import('./main.ts')
process.exitCode = await main(process.argv.slice(2))
