// Per-pod scheduling cycle scratch space (framework.CycleState): PreFilter/PreScore compute once
// and store under their plugin's key; Filter/Score read it per node. Preemption clones it.
import type { FilterPlugin } from "./types.ts";

/** Data a plugin keeps in the cycle state; give it a `clone()` if preemption may change it. */
export type StateData = object;
interface Cloneable {
  clone(): StateData;
}
const isCloneable = (v: StateData): v is Cloneable => typeof (v as Partial<Cloneable>).clone === "function";

export class CycleState {
  private readonly data = new Map<string, StateData>();
  /** Bumped by every write: lets per-node readers (StateReader) keep what they read. */
  version = 0;
  /** Whether Filter is running on hypothetical node states (preemption): plugins may skip caching. */
  readonly forPreemption: boolean;
  /** Plugins whose PreFilter said Skip: their Filter is not run for this pod. */
  skipFilterPlugins = new Set<string>();
  /** Plugins whose PreScore said Skip: their Score is not run for this pod. */
  skipScorePlugins = new Set<string>();
  /**
   * The framework's per-cycle memo of which Filter plugins still run (valid while
   * `skipFilterPlugins` is the same set with the same size); not copied by `clone`.
   */
  activeFilters: { skip: Set<string>; size: number; plugins: readonly FilterPlugin[] } | undefined;

  constructor(forPreemption = false) {
    this.forPreemption = forPreemption;
  }

  read<T extends StateData>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }

  write(key: string, value: StateData): void {
    this.data.set(key, value);
    this.version++;
  }

  clone(forPreemption = this.forPreemption): CycleState {
    const copy = new CycleState(forPreemption);
    for (const [k, v] of this.data) copy.data.set(k, isCloneable(v) ? v.clone() : v);
    copy.skipFilterPlugins = new Set(this.skipFilterPlugins);
    copy.skipScorePlugins = new Set(this.skipScorePlugins);
    return copy;
  }
}

/**
 * One plugin's entry of the cycle state as Filter and Score read it once per node: the value is
 * looked up again only when the cycle state (or anything written to it) changed, so thousands of
 * per-node calls cost a field comparison instead of a map lookup each.
 */
export class StateReader<T extends StateData> {
  readonly key: string;
  private state: CycleState | undefined;
  private version = -1;
  private value: T | undefined;

  constructor(key: string) {
    this.key = key;
  }

  read(state: CycleState): T | undefined {
    if (state !== this.state || state.version !== this.version) {
      this.state = state;
      this.version = state.version;
      this.value = state.read<T>(this.key);
    }
    return this.value;
  }
}
