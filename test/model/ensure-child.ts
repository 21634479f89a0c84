// Run by ensure-concurrent.test.ts as a separate process: ensureModel(<preset>), print the path.
import { ensureModel, type ModelPreset } from '../../fixtures/model/ensure-model.ts'

const path = await ensureModel(process.argv[2] as ModelPreset)
process.stdout.write(`${path}\n`)
