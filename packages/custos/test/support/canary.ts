// Canaries for P-LOG-1: unique strings planted as secrets and content. Whatever a test sends
// through custos, none of them may come back out in a log line or an error body.
import crypto from 'node:crypto';

export class Canaries {
  readonly #planted = new Map<string, string>();

  /** A fresh unique string, remembered under a label that says where it was planted. */
  plant(label: string): string {
    const value = `canary${crypto.randomBytes(8).toString('hex')}`;
    this.#planted.set(value, label);
    return value;
  }

  /** Every planted canary that appears in the texts, with where it was planted and where found. */
  leaks(texts: Record<string, string>): string[] {
    const found: string[] = [];
    for (const [where, text] of Object.entries(texts)) {
      for (const [value, label] of this.#planted) {
        if (text.includes(value)) found.push(`${label} leaked into ${where}`);
      }
    }
    return found;
  }

  get size(): number {
    return this.#planted.size;
  }
}
