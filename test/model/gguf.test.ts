import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import {
  encodeGGUFHeader,
  expectedFileSize,
  GGMLType,
  GGUFType,
  kv,
  readGGUF,
  readGGUFFile,
  writeGGUF,
  type GGUFKV,
  type GGUFTensorSource,
} from '../../fixtures/model/gguf.ts'
import { fromF16Bits, randomF16Chunks, toF16Bits } from '../../fixtures/model/random-weights.ts'

const dir = mkdtempSync(join(tmpdir(), 'fuze-gguf-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A tensor whose bytes are a recognisable pattern, delivered in deliberately odd-sized chunks. */
function patterned(name: string, dims: number[], type: typeof GGMLType.F32 | typeof GGMLType.F16, seed: number): GGUFTensorSource & { bytes: Buffer } {
  const n = dims.reduce((a, d) => a * d, type === GGMLType.F32 ? 4 : 2)
  const bytes = Buffer.alloc(n)
  for (let i = 0; i < n; i++) bytes[i] = (i * 31 + seed) & 0xff
  return {
    name,
    dims,
    type,
    bytes,
    *chunks() {
      for (let at = 0; at < n; at += 7) yield bytes.subarray(at, Math.min(n, at + 7))
    },
  }
}

const everyType: GGUFKV[] = [
  kv.str('general.architecture', 'llama'),
  { key: 't.u8', type: GGUFType.UINT8, value: 250 },
  { key: 't.i8', type: GGUFType.INT8, value: -120 },
  { key: 't.u16', type: GGUFType.UINT16, value: 65000 },
  { key: 't.i16', type: GGUFType.INT16, value: -32000 },
  kv.u32('t.u32', 4_000_000_000),
  kv.i32('t.i32', -2_000_000_000),
  kv.f32('t.f32', 0.5),
  { key: 't.f64', type: GGUFType.FLOAT64, value: Math.PI },
  kv.bool('t.bool', true),
  kv.str('t.str', 'héllo ▁wörld 🚀'),
  kv.u64('t.u64', 18_000_000_000_000_000_000n),
  { key: 't.i64', type: GGUFType.INT64, value: -9_000_000_000_000_000_000n },
  kv.array('t.strings', GGUFType.STRING, ['<unk>', '', '▁the']),
  kv.array('t.floats', GGUFType.FLOAT32, [0, -1.5, 3.25]),
  kv.array('t.ints', GGUFType.INT32, [1, -2, 3]),
  kv.array('t.empty', GGUFType.UINT8, []),
  kv.array('t.nested', GGUFType.ARRAY, [
    { itemType: GGUFType.UINT16, items: [1, 2] },
    { itemType: GGUFType.STRING, items: ['a'] },
  ]),
]

describe('GGUF writer → reader round trip', () => {
  const tensors = [
    patterned('a.weight', [3, 5], GGMLType.F16, 1), // 30 bytes: the next tensor needs padding to 32
    patterned('b.weight', [7], GGMLType.F32, 2),
    patterned('c.weight', [4, 2, 3], GGMLType.F16, 3),
  ]
  const file = join(dir, 'roundtrip.gguf')

  test('metadata of every value type, tensor infos and aligned data read back exactly', async () => {
    const written = await writeGGUF(file, { metadata: everyType, tensors })
    const raw = readFileSync(file)
    expect(written.bytes).toBe(raw.length)

    const h = await readGGUFFile(file)
    expect(h.version).toBe(3)
    expect(h.alignment).toBe(32)
    expect(h.metadata).toEqual(everyType)
    expect(h.tensors.map((t) => [t.name, t.dims, t.type, t.offset])).toEqual([
      ['a.weight', [3, 5], GGMLType.F16, 0],
      ['b.weight', [7], GGMLType.F32, 32],
      ['c.weight', [4, 2, 3], GGMLType.F16, 64],
    ])
    expect(h.dataOffset % 32).toBe(0)
    expect(expectedFileSize(h)).toBe(raw.length)
    for (const [i, t] of tensors.entries()) {
      const at = h.dataOffset + h.tensors[i].offset
      expect(raw.subarray(at, at + t.bytes.length).equals(t.bytes)).toBe(true)
    }
    // the padding between tensors is zeros
    expect([...raw.subarray(h.dataOffset + 30, h.dataOffset + 32)]).toEqual([0, 0])
  })

  test('a custom general.alignment is honoured by writer and reader', async () => {
    const f = join(dir, 'align64.gguf')
    await writeGGUF(f, { metadata: [kv.u32('general.alignment', 64)], tensors })
    const h = await readGGUFFile(f)
    expect(h.alignment).toBe(64)
    expect(h.dataOffset % 64).toBe(0)
    expect(h.tensors.map((t) => t.offset)).toEqual([0, 64, 128])
  })

  test('a truncated header is reported as truncated, with the offset', () => {
    const { header } = encodeGGUFHeader({ metadata: everyType, tensors })
    expect(() => readGGUF(header.subarray(0, 100))).toThrow(/data ends at byte 100 .*truncated/)
  })

  test('a file that is not GGUF says so', () => {
    const f = join(dir, 'not.gguf')
    writeFileSync(f, 'PK\x03\x04 definitely a zip file')
    return expect(readGGUFFile(f)).rejects.toThrow(/bad magic .* not a GGUF file/)
  })

  test('a tensor source that yields the wrong number of bytes is refused with its name and dims', async () => {
    const short: GGUFTensorSource = { name: 'short.weight', dims: [4, 4], type: GGMLType.F16, chunks: () => [new Uint8Array(10)] }
    await expect(writeGGUF(join(dir, 'short.gguf'), { metadata: [], tensors: [short] })).rejects.toThrow(
      "GGUF: tensor 'short.weight' produced 10 bytes, but its dims [4, 4] need 32.",
    )
  })

  test('duplicate keys and mistyped values are refused before anything is written', () => {
    expect(() => encodeGGUFHeader({ metadata: [kv.u32('x', 1), kv.u32('x', 2)], tensors: [] })).toThrow(/'x' appears twice/)
    expect(() => encodeGGUFHeader({ metadata: [{ key: 'y', type: GGUFType.UINT64, value: 5 }], tensors: [] })).toThrow(
      "GGUF: metadata 'y' must be a bigint but is 5.",
    )
  })
})

describe('f16 weights', () => {
  test('binary32 → binary16 rounding matches IEEE for normals, subnormals, overflow', () => {
    expect(toF16Bits(1)).toBe(0x3c00)
    expect(toF16Bits(-2)).toBe(0xc000)
    expect(toF16Bits(65504)).toBe(0x7bff)
    expect(toF16Bits(65520)).toBe(0x7c00) // rounds up to infinity
    expect(toF16Bits(2 ** -24)).toBe(0x0001) // smallest subnormal
    expect(toF16Bits(2 ** -26)).toBe(0x0000)
    expect(toF16Bits(1 + 2 ** -11)).toBe(0x3c00) // tie → even
    expect(toF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02) // tie → even (up)
    expect(toF16Bits(-0.0345)).toBe(0xa86a)
    for (const h of [0x0001, 0x03ff, 0x0400, 0x3555, 0x7bff, 0xa86a]) expect(toF16Bits(fromF16Bits(h))).toBe(h)
  })

  test('random chunks are deterministic per seed, bounded, and centred', () => {
    // copy each chunk: the generator reuses its buffer
    const collect = (seed: string): Buffer => Buffer.concat([...randomF16Chunks(seed, 300_001, 0.0346)].map((c) => Buffer.from(c)))
    const bytes = collect('1:x')
    expect(bytes.length).toBe(600_002)
    expect(collect('1:x').equals(bytes)).toBe(true)
    expect(collect('1:y').equals(bytes)).toBe(false)
    const a = Array.from({ length: bytes.length / 2 }, (_, i) => bytes.readUInt16LE(i * 2))
    let sum = 0
    let sq = 0
    let max = 0
    for (const h of a) {
      const v = fromF16Bits(h)
      max = Math.max(max, Math.abs(v))
      sum += v
      sq += v * v
    }
    expect(max).toBeLessThanOrEqual(0.0347)
    expect(Math.abs(sum / a.length)).toBeLessThan(0.0005)
    expect(Math.sqrt(sq / a.length)).toBeCloseTo(0.02, 3)
  })
})
