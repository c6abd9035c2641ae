// Stop strings over streamed text: text is released only once it cannot be the start of a stop
// string, and nothing from a stop string onwards is ever released.
export class StopText {
  private pending = '';

  constructor(private readonly stops: readonly string[]) {}

  /** Adds decoded text; returns what can be shown now and whether a stop string was reached. */
  push(text: string): { text: string; stopped: boolean } {
    this.pending += text;
    let at = -1;
    for (const s of this.stops) {
      const i = this.pending.indexOf(s);
      if (i >= 0 && (at < 0 || i < at)) at = i;
    }
    if (at >= 0) {
      const out = this.pending.slice(0, at);
      this.pending = '';
      return { text: out, stopped: true };
    }
    const hold = this.heldSuffix();
    const out = this.pending.slice(0, this.pending.length - hold);
    this.pending = this.pending.slice(this.pending.length - hold);
    return { text: out, stopped: false };
  }

  /** What was held back, at the end of generation. */
  flush(): string {
    const out = this.pending;
    this.pending = '';
    return out;
  }

  /** Length of the longest end of the pending text that begins some stop string. */
  private heldSuffix(): number {
    const p = this.pending;
    let best = 0;
    for (const s of this.stops) {
      for (let n = Math.min(s.length - 1, p.length); n > best; n--) {
        if (p.endsWith(s.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }
}
