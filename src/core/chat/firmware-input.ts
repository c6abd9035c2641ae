// The device's input line (firmware-format.md 5.1): its keyboard accepts only printable ASCII
// (0x20..0x7E) and a line of at most FIRMWARE_INPUT_MAX characters, so firmware mode sends a
// message that way.
import { FIRMWARE_INPUT_MAX } from '../firmware/settings.js';

export function firmwareInput(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '').slice(0, FIRMWARE_INPUT_MAX);
}
