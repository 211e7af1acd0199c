// The paper broker's faults: failures a test injects for the next requests, and random ones drawn
// from a seeded generator (same seed and same request sequence, same outcomes).
import { SeededRng } from '../market/sampleMarket.ts';
import type { FaultKind, InjectedFault, PaperAudit, PaperFaults } from './paperTypes.ts';

export class FaultDraw {
  /** Failures the next requests meet, in order, before the random faults are drawn. */
  private readonly injected: InjectedFault[] = [];
  private readonly rate: number;
  private readonly rng: SeededRng | null;
  private readonly cut: { reject: number; requote: number };
  private readonly timeoutApplied: number;

  constructor(faults: PaperFaults | undefined) {
    const f = faults;
    if (f && !(f.rate >= 0 && f.rate <= 1)) throw new RangeError(`faults.rate must be within 0..1, got ${f.rate}`);
    if (f && f.rate > 0) {
      const w = f.weights ?? { reject: 1, requote: 1, timeout: 1 };
      const total = w.reject + w.requote + w.timeout;
      if (!(total > 0) || w.reject < 0 || w.requote < 0 || w.timeout < 0)
        throw new RangeError('faults.weights must be >= 0 with a positive sum');
      this.rate = f.rate;
      this.rng = new SeededRng(f.seed);
      this.cut = { reject: w.reject / total, requote: (w.reject + w.requote) / total };
      this.timeoutApplied = f.timeoutApplied ?? 0.5;
    } else {
      this.rate = 0;
      this.rng = null;
      this.cut = { reject: 0, requote: 0 };
      this.timeoutApplied = 0;
    }
  }

  /** The next request meets `kind` instead of a random draw. */
  inject(kind: InjectedFault): void {
    this.injected.push(kind);
  }

  /** The failure injected for this request, if any (taken). */
  nextInjected(): InjectedFault | null {
    return this.injected.length > 0 ? this.injected.shift()! : null;
  }

  /** Draws this request's random fault (null: none), counted in `audit`. */
  draw(audit: PaperAudit): FaultKind | null {
    const rng = this.rng;
    if (rng === null) return null;
    if (rng.next() >= this.rate) return null;
    const u = rng.next();
    const kind: FaultKind = u < this.cut.reject ? 'reject' : u < this.cut.requote ? 'requote' : 'timeout';
    audit.faults[kind]++;
    return kind;
  }

  /** Whether a drawn timeout took effect anyway (always drawn, so the draws do not depend on the book). */
  timeoutTookEffect(): boolean {
    return this.rng!.next() < this.timeoutApplied;
  }

  /** The generator's state, for a restart (null: no random faults). */
  get state(): number | null {
    return this.rng?.state ?? null;
  }

  set state(value: number | null) {
    if (this.rng !== null && value !== null) this.rng.state = value;
  }
}
