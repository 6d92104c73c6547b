/**
 * A password that cannot leak by accident: JSON.stringify, util.inspect, String() and pino all
 * print '[redacted]'. Only `reveal()` gives the value, at the one place it is sent to a Pi.
 */
const REDACTED = '[redacted]';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The value itself; call it only where it leaves the process (the SSH password request). */
  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}
