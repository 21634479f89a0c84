// The common way to read an OpenAI stream in Node (undici.request, async iteration, TextDecoder, split
// on newlines, JSON.parse every event): the reference the ingest bench compares the real client with.
import type { Pool } from 'undici'

export async function naiveStream(pool: Pool, body: string, requestId: string): Promise<{ times: number[] }> {
  const res = await pool.request({
    path: '/v1/completions',
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-request-id': requestId },
  })
  const times: number[] = []
  const decoder = new TextDecoder()
  let rest = ''
  for await (const chunk of res.body) {
    const t = performance.now()
    const lines = (rest + decoder.decode(chunk as Buffer, { stream: true })).split('\n')
    rest = lines.pop() ?? ''
    for (const line of lines) {
      if (!line.startsWith('data: ') || line === 'data: [DONE]') continue
      const ev = JSON.parse(line.slice(6)) as { choices?: { text?: string }[] }
      if (ev.choices?.[0]?.text) times.push(t)
    }
  }
  return { times }
}
