// The Deployment controller's barrel: the controller the manager starts, and its pure parts.
export { DeploymentController } from "./controller.ts";
export type { DeploymentControllerOptions } from "./controller.ts";
export * from "./util.ts";
export * from "./progress.ts";
export * from "./rolling.ts";
export * from "./recreate.ts";
export * from "./rollback.ts";
export * from "./sync.ts";
