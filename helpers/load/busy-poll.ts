// Keeping the measuring process awake. Between two chunks an event loop sleeps in epoll; on a virtual machine the
// kernel then halts that vCPU, and the next chunk or timer has to wake it through the hypervisor. Measured here (a
// 2-vCPU KVM guest, no cpuidle polling): a timer due at a trace's arrival fired up to 8.7 ms late, 2–4 requests of
// 264 were sent more than 5 ms after their time in every replay of an Azure trace, and chunk timestamps carried the
// wake-up (ITL p99 1.3–2.2 ms above the simulator's truth). With the loop turning without sleeping (a ref'd
// setImmediate chain: poll never blocks) the same replays sent every request within 3.6 ms and the ITL p99 error
// fell by a third. It costs one core while a case measures, so it is only on where that core is not the server's:
// never when the server computes on this machine's CPU (a CPU engine we started, or a local one on a machine without
// a GPU), never on a single core. BENCH_BUSY_POLL=1/0 overrides that choice.
import { availableParallelism } from 'node:os'
import type { ServerRef } from '../../fixtures/server.ts'

export type BusyPollSetting = 'auto' | '1' | '0'

export interface BusyPollChoice {
  on: boolean
  /** Why, in one clause (summary.json `sections.busyPoll`, and the log of a client process). */
  why: string
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1'])

/** Whether the server's work runs on this machine's CPU (so a core spent polling would be taken from it). */
export function serverComputesHere(server: Pick<ServerRef, 'stack' | 'unit' | 'url' | 'pin' | 'gpuLayers'>): boolean {
  if (server.stack.internal) return false // the simulator paces with timers; it computes nothing worth a core
  try {
    return runsHere(server)
  } catch {
    // not started (its unit, URL and GPU pin are not known yet): take the choice that costs the server nothing
    return true
  }
}

function runsHere(server: Pick<ServerRef, 'unit' | 'url' | 'pin' | 'gpuLayers'>): boolean {
  if (server.unit === 'external') {
    let host = ''
    try {
      host = new URL(server.url).hostname
    } catch {
      return true
    }
    // a server elsewhere computes elsewhere; one on this machine does on its CPU unless this machine has a GPU
    return LOCAL_HOSTS.has(host) && server.pin.gpus.length === 0
  }
  return server.pin.gpus.length === 0 || server.gpuLayers === 0
}

/**
 * Whether `pollers` measuring processes keep their loops turning: the setting, else (auto) only when the server does
 * not compute on this CPU and the machine has a core left over for everything else.
 */
export function busyPollChoice(setting: BusyPollSetting, computesHere: boolean, pollers = 1, cores = availableParallelism()): BusyPollChoice {
  if (setting === '1') return { on: true, why: 'BENCH_BUSY_POLL=1' }
  if (setting === '0') return { on: false, why: 'BENCH_BUSY_POLL=0' }
  if (computesHere) return { on: false, why: "the server computes on this machine's CPU: a polling core would be taken from it" }
  if (cores <= pollers) return { on: false, why: `${cores} core(s) for ${pollers} measuring process(es) and everything else` }
  return { on: true, why: `auto: the server does not compute on this CPU, ${cores} cores for ${pollers} polling process(es)` }
}

/** The loop of this process kept turning between start() and stop(). Idempotent both ways. */
export class BusyPoll {
  private running = false
  private handle: NodeJS.Immediate | undefined
  /** Loop turns while polling (a turn is one pass of the event loop: timers, I/O, immediates). */
  turns = 0

  private readonly turn = (): void => {
    this.turns++
    // ref'd on purpose: an unref'd Immediate lets poll block (undici #5600)
    this.handle = this.running ? setImmediate(this.turn) : undefined
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.handle = setImmediate(this.turn)
  }

  stop(): void {
    this.running = false
    if (this.handle) clearImmediate(this.handle)
    this.handle = undefined
  }

  get active(): boolean {
    return this.running
  }
}
