// Per-pod scheduling cycle scratch space (framework.CycleState): PreFilter/PreScore compute once
// and store under their plugin's key; Filter/Score read it per node. Preemption clones it.

/** Data a plugin keeps in the cycle state; `clone` is needed only if it changes during preemption. */
export interface StateData {
  clone?(): StateData;
}

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
    for (const [k, v] of this.data) copy.data.set(k, v.clone ? v.clone() : v);
    copy.skipFilterPlugins = new Set(this.skipFilterPlugins);
    copy.skipScorePlugins = new Set(this.skipScorePlugins);
    return copy;
  }
}
