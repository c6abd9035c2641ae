// The device's input line (firmware-format.md 5.1): its keyboard accepts only printable ASCII
// (0x20..0x7E) and a line of at most 201 characters, so firmware mode sends a message that way.
export const DEVICE_INPUT_MAX = 201;

export function deviceInput(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '').slice(0, DEVICE_INPUT_MAX);
}
