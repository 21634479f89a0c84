// Child process: finalizeRun on a run folder, result as JSON on stdout (used to run it as another user).
import { finalizeRun } from '../../reporters/finalize.ts'

const [runDir, resultsDir] = process.argv.slice(2)
const lines: string[] = []
const res = await finalizeRun({ runDir, resultsDir, print: (s) => lines.push(s) })
console.log(JSON.stringify({ ...res, printed: lines.join('\n') }))
