// Small HTTP helpers shared by the protocol route tables.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { SimContext, SimRequest } from './job.ts'
import { FuzeError } from '../helpers/errors.ts'

export const BODY_LIMIT = 32 * 1024 * 1024

/** A request the protocol rejects: the server answers `status` with the protocol's error body. */
export class BadRequest extends FuzeError {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message)
  }
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE'
  path: RegExp
  handle(ctx: SimContext, r: SimRequest): void | Promise<void>
}

export interface ProtocolDef {
  routes: Route[]
  /** This protocol's JSON error body. */
  error(status: number, message: string): string
  /** Status and body every endpoint answers while readyDelayMs has not passed. */
  loading(): { status: number; body: string }
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    let size = 0
    req.on('data', (b: Buffer) => {
      size += b.length
      if (size > BODY_LIMIT) {
        reject(new BadRequest(`request body larger than ${BODY_LIMIT} bytes`, 413))
        req.destroy()
      } else parts.push(b)
    })
    req.on('end', () => resolve(Buffer.concat(parts)))
    req.on('error', reject)
  })
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = typeof value === 'string' ? value : JSON.stringify(value)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

export function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

export function obj(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {}
}

/** A non-negative integer request field, or the default when absent/null. */
export function intField(value: unknown, name: string, fallback: number): number {
  if (value === undefined || value === null) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new BadRequest(`'${name}' must be an integer, got ${JSON.stringify(value)}`)
  return value
}

export function boolField(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback
}

export function firstModel(ctx: SimContext): string {
  return ctx.models.keys().next().value ?? 'sim-model'
}
