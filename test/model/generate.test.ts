import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { readBundledFile } from '../../fixtures/llama-source.ts'
import { encodeGGUFHeader, GGMLType, GGUFType, metaValue, readGGUF, type GGUFArray, type GGUFHeader } from '../../fixtures/model/gguf.ts'
import { generateModel, modelInput, tokenizerMetadata } from '../../fixtures/model/generate.ts'
import { modelInfo, VOCAB_FILE } from '../../fixtures/model/presets.ts'
import { fromF16Bits } from '../../fixtures/model/random-weights.ts'

const dir = mkdtempSync(join(tmpdir(), 'fuze-gen-'))
const savedCache = process.env.FUZE_CACHE_DIR
let vocab: Buffer
let file: Buffer
let header: GGUFHeader

beforeAll(async () => {
  process.env.FUZE_CACHE_DIR = join(dir, 'cache') // the bundled source is fetched into a throwaway cache
  vocab = await readBundledFile(VOCAB_FILE)
  await generateModel('tiny', join(dir, 'a.gguf'), vocab)
  file = readFileSync(join(dir, 'a.gguf'))
  header = readGGUF(file)
})
afterAll(() => {
  if (savedCache === undefined) delete process.env.FUZE_CACHE_DIR
  else process.env.FUZE_CACHE_DIR = savedCache
  rmSync(dir, { recursive: true, force: true })
})

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

describe('generated tiny model', () => {
  test('is deterministic: a second generation is byte-identical', async () => {
    const second = await generateModel('tiny', join(dir, 'b.gguf'), vocab)
    expect(second.sha256).toBe(sha(file))
    expect(sha(readFileSync(join(dir, 'b.gguf')))).toBe(sha(file))
    expect(second.bytes).toBe(file.length)
  })

  test('carries llama hyperparameters llama.cpp needs, with the types it expects', () => {
    const typed = (key: string) => {
      const e = header.metadata.find((m) => m.key === key)
      return e && [e.type, e.value]
    }
    expect(typed('general.architecture')).toEqual([GGUFType.STRING, 'llama'])
    expect(typed('general.name')).toEqual([GGUFType.STRING, 'fuze-tiny-random'])
    expect(typed('general.file_type')).toEqual([GGUFType.UINT32, 1])
    expect(typed('llama.context_length')).toEqual([GGUFType.UINT32, 4096])
    expect(typed('llama.embedding_length')).toEqual([GGUFType.UINT32, 64])
    expect(typed('llama.block_count')).toEqual([GGUFType.UINT32, 2])
    expect(typed('llama.feed_forward_length')).toEqual([GGUFType.UINT32, 256])
    expect(typed('llama.attention.head_count')).toEqual([GGUFType.UINT32, 4])
    expect(typed('llama.attention.head_count_kv')).toEqual([GGUFType.UINT32, 4])
    expect(typed('llama.rope.dimension_count')).toEqual([GGUFType.UINT32, 16])
    expect(typed('llama.rope.freq_base')).toEqual([GGUFType.FLOAT32, 10000])
    expect(typed('llama.vocab_size')).toEqual([GGUFType.UINT32, 32000])
    const eps = typed('llama.attention.layer_norm_rms_epsilon')
    expect(eps?.[0]).toBe(GGUFType.FLOAT32)
    expect(eps?.[1]).toBeCloseTo(1e-5, 10)
  })

  test('copies every tokenizer.* entry of the vocab GGUF unchanged', () => {
    const fromVocab = readGGUF(vocab).metadata.filter((e) => e.key.startsWith('tokenizer.'))
    expect(fromVocab.map((e) => e.key)).toContain('tokenizer.ggml.scores')
    expect(header.metadata.filter((e) => e.key.startsWith('tokenizer.'))).toEqual(fromVocab)
    const tokens = metaValue(header, 'tokenizer.ggml.tokens') as GGUFArray
    expect(tokens.items.slice(0, 3)).toEqual(['<unk>', '<s>', '</s>'])
  })

  test('has the llama tensor set in ggml dim order, norms f32 ones, matrices small f16', () => {
    expect(header.tensors).toHaveLength(3 + 2 * 9)
    const byName = new Map(header.tensors.map((t) => [t.name, t]))
    expect(byName.get('token_embd.weight')).toMatchObject({ dims: [64, 32000], type: GGMLType.F16 })
    expect(byName.get('output.weight')).toMatchObject({ dims: [64, 32000], type: GGMLType.F16 })
    expect(byName.get('output_norm.weight')).toMatchObject({ dims: [64], type: GGMLType.F32 })
    expect(byName.get('blk.1.ffn_gate.weight')).toMatchObject({ dims: [64, 256], type: GGMLType.F16 })
    expect(byName.get('blk.1.ffn_down.weight')).toMatchObject({ dims: [256, 64], type: GGMLType.F16 })
    expect(byName.get('blk.0.attn_k.weight')).toMatchObject({ dims: [64, 64], type: GGMLType.F16 })

    const norm = byName.get('blk.1.ffn_norm.weight')!
    const normAt = header.dataOffset + norm.offset
    expect(new Set(Array.from({ length: 64 }, (_, i) => file.readFloatLE(normAt + i * 4)))).toEqual(new Set([1]))

    const q = byName.get('blk.0.attn_q.weight')!
    const qAt = header.dataOffset + q.offset
    const values = Array.from({ length: 64 * 64 }, (_, i) => fromF16Bits(file.readUInt16LE(qAt + i * 2)))
    expect(Math.max(...values.map(Math.abs))).toBeLessThan(0.035)
    expect(new Set(values).size).toBeGreaterThan(1000) // really random, not a constant fill
  })

  test('modelInfo predicts the tensor bytes exactly and the file size closely', () => {
    const info = modelInfo('tiny')
    expect(file.length - header.dataOffset).toBe(info.tensorBytes)
    expect(Math.abs(file.length - info.approxBytes)).toBeLessThan(20_000)
    expect(info).toMatchObject({ nLayers: 2, nEmbd: 64, vocab: 32000, name: 'fuze-tiny-random' })
  })

  test('small preset: header and tensor layout agree with modelInfo (without writing 117 MB)', () => {
    const info = modelInfo('small')
    const { header: h, dataBytes } = encodeGGUFHeader(modelInput('small', vocab))
    const parsed = readGGUF(h)
    expect(parsed.tensors).toHaveLength(3 + 8 * 9)
    expect(parsed.tensors.find((t) => t.name === 'blk.7.ffn_up.weight')?.dims).toEqual([512, 1376])
    expect(dataBytes).toBeGreaterThanOrEqual(info.tensorBytes)
    expect(dataBytes - info.tensorBytes).toBeLessThan(32)
    expect(Math.abs(h.length + info.tensorBytes - info.approxBytes)).toBeLessThan(20_000)
  })

  test('a vocab with another token count is refused with what to change', () => {
    const { header: other } = encodeGGUFHeader({
      metadata: [{ key: 'tokenizer.ggml.tokens', type: GGUFType.ARRAY, value: { itemType: GGUFType.STRING, items: ['a', 'b'] } }],
      tensors: [],
    })
    expect(() => tokenizerMetadata(other)).toThrow(/has 2 tokens, but the generated-model presets assume 32000.*VOCAB_SIZE/)
  })
})
