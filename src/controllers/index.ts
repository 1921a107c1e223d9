// The controllers barrel: the manager that runs them and each controller.
export { ControllerManager, startControllerManager, CONTROLLERS, LEADER_LEASE } from "./manager.ts";
export type { ControllerManagerOptions, ControllerName } from "./manager.ts";
export type { Controller, ControllerContext, ControllerSettings } from "./types.ts";
export * from "./replicaset/index.ts";
export * from "./namespace/index.ts";
export * from "./gc/index.ts";
export * from "./nodelifecycle/index.ts";
export * from "./nodeipam/index.ts";
export { isPodActive, isPodReady, isPodAvailable, controllerRefOf } from "./pod-util.ts";
export { claimPods } from "./claim.ts";
