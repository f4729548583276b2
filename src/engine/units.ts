// Unit conversions at the edges: catalog files use the units their field names say; the engine
// works in SI (bytes, seconds, FLOP/s, bytes/s, watts).
export const GB = 1e9;
export const GiB = 2 ** 30;
export const TB = 1e12;
export const TFLOPS = 1e12;
export const GBPS_TO_BYTES_PER_SECOND = 1e9;
export const GBIT_TO_BYTES = 1e9 / 8;
export const US = 1e-6;
