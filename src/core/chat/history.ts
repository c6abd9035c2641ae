// Chat memory: past exchanges (user text, bot reply as decoded), newest last. The device keeps at
// most FIRMWARE_HIST_MAX = 4 (firmware-format.md 5.3); the reference mode keeps what the budget
// allows.
import type { Exchange } from '../formats/dialogue.js';

export class ChatHistory {
  private readonly items: Exchange[] = [];

  constructor(readonly maxExchanges = Number.POSITIVE_INFINITY) {}

  get exchanges(): readonly Exchange[] {
    return this.items;
  }

  /** Stores a finished exchange; an empty reply is not remembered. Beyond the cap the oldest goes. */
  push(user: string, bot: string): void {
    if (bot === '') return;
    this.items.push({ user, bot });
    if (this.items.length > this.maxExchanges) this.items.shift();
  }

  clear(): void {
    this.items.length = 0;
  }
}
