// A plugin's answer (framework.Status): a code, the reasons a user reads in FailedScheduling
// events, and which plugin said it. Plugins return a Status; they do not throw for "does not fit".

export type StatusCode =
  | "Success"
  /** Something went wrong inside the plugin or the API; the pod is retried with back-off. */
  | "Error"
  /** Does not fit now; preemption may help. */
  | "Unschedulable"
  /** Does not fit and preempting pods on this node would not help either. */
  | "UnschedulableAndUnresolvable"
  /** The plugin has nothing to do for this pod (PreFilter/PreScore): skip its Filter/Score. */
  | "Skip";

export interface Status {
  readonly code: StatusCode;
  readonly reasons: readonly string[];
  /** The plugin that returned it (set by the framework). */
  plugin?: string;
}

export const SUCCESS: Status = Object.freeze({ code: "Success", reasons: Object.freeze([]) }) as Status;
export const SKIP: Status = Object.freeze({ code: "Skip", reasons: Object.freeze([]) }) as Status;

export const unschedulable = (...reasons: string[]): Status => ({ code: "Unschedulable", reasons });
export const unresolvable = (...reasons: string[]): Status => ({ code: "UnschedulableAndUnresolvable", reasons });
export const errorStatus = (err: unknown): Status => ({ code: "Error", reasons: [err instanceof Error ? err.message : String(err)] });

export const isSuccess = (s: Status | undefined): boolean => s === undefined || s.code === "Success";
/** Unschedulable or UnschedulableAndUnresolvable. */
export const isRejected = (s: Status): boolean => s.code === "Unschedulable" || s.code === "UnschedulableAndUnresolvable";
