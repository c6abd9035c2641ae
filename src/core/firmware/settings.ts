// The device's fixed numbers (firmware-format.md 5.1 and 5.3), which firmware mode reproduces
// and the chat takes as its defaults.

/** The KV window, in positions: the prompt and the reply together. */
export const FIRMWARE_CONTEXT = 80;
/** The sampling temperature the device starts with. */
export const FIRMWARE_TEMPERATURE = 0.8;
/** The longest reply the device starts with, in tokens. */
export const FIRMWARE_MAX_REPLY = 44;
/** Past exchanges the device remembers. */
export const FIRMWARE_HIST_MAX = 4;
/** The longest input line the device's keyboard takes, in characters (printable ASCII only). */
export const FIRMWARE_INPUT_MAX = 201;
/** The v3 firmware's sampling defaults (its main.cpp DEFAULT_TEMP and DEFAULT_TOP_P). */
export const FIRMWARE_V3_TEMPERATURE = 0.8;
export const FIRMWARE_V3_TOP_P = 0.9;
