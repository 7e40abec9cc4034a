/** A console request refused with a page that says why (the console's counterpart of ApiError). */
export class ConsoleRefusal extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    /** Shown to the reviewer: plain text, no personal data. */
    readonly explanation: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(explanation);
    this.name = 'ConsoleRefusal';
  }
}
