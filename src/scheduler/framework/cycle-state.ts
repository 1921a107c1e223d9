// Per-pod scheduling cycle scratch space (framework.CycleState): PreFilter/PreScore compute once
// and store under their plugin's key; Filter/Score read it per node. Preemption clones it.

/** Data a plugin keeps in the cycle state; give it a `clone()` if preemption may change it. */
export type StateData = object;
interface Cloneable {
  clone(): StateData;
}
const isCloneable = (v: StateData): v is Cloneable => typeof (v as Partial<Cloneable>).clone === "function";

export class CycleState {
  private readonly data = new Map<string, StateData>();
  /** Whether Filter is running on hypothetical node states (preemption): plugins may skip caching. */
  readonly forPreemption: boolean;
  /** Plugins whose PreFilter said Skip: their Filter is not run for this pod. */
  skipFilterPlugins = new Set<string>();
  /** Plugins whose PreScore said Skip: their Score is not run for this pod. */
  skipScorePlugins = new Set<string>();

  constructor(forPreemption = false) {
    this.forPreemption = forPreemption;
  }

  read<T extends StateData>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }

  write(key: string, value: StateData): void {
    this.data.set(key, value);
  }

  clone(forPreemption = this.forPreemption): CycleState {
    const copy = new CycleState(forPreemption);
    for (const [k, v] of this.data) copy.data.set(k, isCloneable(v) ? v.clone() : v);
    copy.skipFilterPlugins = new Set(this.skipFilterPlugins);
    copy.skipScorePlugins = new Set(this.skipScorePlugins);
    return copy;
  }
}
