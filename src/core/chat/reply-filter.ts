// Where a chat reply ends besides EOS: when the model starts a new `User` line. A newline piece
// is held back; if the next non-empty piece begins with "User" the reply is over (the newline is
// dropped), otherwise the newline is let through. A newline still held at the end is dropped.
// The device holds only a piece that is exactly "\n" (firmware-format.md 5.5); the reference mode
// holds any piece made only of newlines.
export class ReplyFilter {
  private held = '';

  constructor(private readonly firmware: boolean) {}

  private holds(piece: string): boolean {
    return this.firmware ? piece === '\n' : /^\n+$/.test(piece);
  }

  /** Text to show now for one decoded piece, and whether the reply ends here. */
  push(piece: string): { text: string; stop: boolean } {
    if (piece === '') return { text: '', stop: false };
    let out = '';
    if (this.held !== '') {
      if (piece.startsWith('User')) return { text: '', stop: true };
      out = this.held;
      this.held = '';
    }
    if (this.holds(piece)) {
      this.held = piece;
      return { text: out, stop: false };
    }
    return { text: out + piece, stop: false };
  }
}
