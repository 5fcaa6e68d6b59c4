// When to restart a server that stopped on its own: at once after a first crash, then with a
// doubling delay, and not at all after too many crashes in a short window. No `vscode` import.

/** The restart policy's parameters. */
export interface BackoffPolicy {
  /** Delay before the first restart, in milliseconds. */
  initialDelayMs: number;
  /** The longest delay. */
  maxDelayMs: number;
  /** Crashes counted within this window (milliseconds). */
  windowMs: number;
  /** Give up after this many crashes within the window. */
  maxCrashes: number;
}

/** The policy the extension uses. */
export const DEFAULT_POLICY: BackoffPolicy = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  windowMs: 3 * 60_000,
  maxCrashes: 5,
};

/** What to do after a crash. */
export type Decision =
  | { restart: true; delayMs: number; crashes: number }
  | { restart: false; crashes: number };

/** Remembers recent crashes and decides about the next restart. */
export class Backoff {
  private crashes: number[] = [];

  constructor(private readonly policy: BackoffPolicy = DEFAULT_POLICY) {}

  /** Records a crash at `now` (milliseconds) and decides. */
  crashed(now: number): Decision {
    this.crashes = this.crashes.filter((time) => now - time < this.policy.windowMs);
    this.crashes.push(now);
    const count = this.crashes.length;
    if (count > this.policy.maxCrashes) {
      return { restart: false, crashes: count };
    }
    const delayMs = Math.min(this.policy.initialDelayMs * 2 ** (count - 1), this.policy.maxDelayMs);
    return { restart: true, delayMs, crashes: count };
  }

  /** Forgets the crashes (the user restarted the server by hand). */
  reset(): void {
    this.crashes = [];
  }
}
