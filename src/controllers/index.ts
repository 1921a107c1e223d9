// The controllers barrel: the manager that runs them and each controller.
export { ControllerManager, startControllerManager, CONTROLLERS, LEADER_LEASE } from "./manager.ts";
export type { ControllerManagerOptions, ControllerName } from "./manager.ts";
export type { Controller, ControllerContext } from "./types.ts";
export * from "./replicaset/index.ts";
export * from "./namespace/index.ts";
export * from "./gc/index.ts";
export { isPodActive, isPodReady, isPodAvailable, controllerRefOf } from "./pod-util.ts";
export { claimPods } from "./claim.ts";
