// Simulator settings shared by the sim specs: quick enough for a CI smoke run, slow enough to be measurable.
export const SIM_FAST = ['--ttft-ms', '5', '--itl-ms', '1']
