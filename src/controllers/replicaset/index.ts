// The ReplicaSet controller and its pure parts (status, deletion ranking).
export { ReplicaSetController, ownerRefFor, slowStartBatch } from "./controller.ts";
export type { ReplicaSetControllerOptions } from "./controller.ts";
export { calculateStatus, statusChanged } from "./status.ts";
export type { StatusOptions } from "./status.ts";
export { compareForDeletion, podsToDelete, POD_DELETION_COST } from "./ranking.ts";
