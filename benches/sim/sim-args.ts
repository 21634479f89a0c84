// Simulator settings shared by the sim specs: quick enough for a CI smoke run, slow enough to be measurable —
// a TTFT far above the client's event-loop delay, so a busy CI machine does not make the cases client-bound.
export const SIM_FAST = ['--ttft-ms', '60', '--itl-ms', '2']
