import type { ProtocolDef } from '../http.ts'
import type { SimProtocol } from '../types.ts'
import { llamacpp } from './llamacpp.ts'
import { ollama } from './ollama.ts'
import { openai } from './openai.ts'
import { tgi } from './tgi.ts'
import { triton } from './triton.ts'

export const PROTOCOL_DEFS: Record<SimProtocol, ProtocolDef> = { openai, ollama, llamacpp, tgi, triton }
