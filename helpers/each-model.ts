// "Each served model" specs: the models a server offers (fixtures/stacks/discovery.ts, INCLUDE_MODELS /
// EXCLUDE_MODELS applied), on each of its GPU slots — or the one skip line when there are none.
import type { ServerHandle } from '../fixtures/server.ts'
import { discoverModels } from '../fixtures/stacks/discovery.ts'
import { skipBench } from './sweep.ts'

/** Call `register` once per (slot, model) to declare that model's cases on `view` (the server asked for that model). */
export async function eachServedModel(
  server: ServerHandle,
  register: (model: string, view: ServerHandle, slot: ServerHandle['slotName']) => void,
): Promise<void> {
  const { models, skip } = await discoverModels(server)
  if (skip) skipBench('each served model', skip)
  for (const slot of server.slots) for (const model of models) register(model, slot.forModel(model), slot.slotName)
}
