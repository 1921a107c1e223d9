// authentication.k8s.io/v1 SelfSubjectReview: a create-only virtual kind that tells the caller
// who the API server thinks they are (`kubectl auth whoami`).
import type { ResourceDefinition } from "../types.ts";

export const selfSubjectReviews: ResourceDefinition = {
  group: "authentication.k8s.io", version: "v1", kind: "SelfSubjectReview", plural: "selfsubjectreviews", singular: "selfsubjectreview",
  namespaced: false,
  verbs: ["create"],
  virtualCreate: (obj, user) => ({
    apiVersion: "authentication.k8s.io/v1",
    kind: "SelfSubjectReview",
    metadata: { creationTimestamp: null as unknown as undefined, ...(obj.metadata ?? {}) },
    status: { userInfo: { username: user.username, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups } },
  }),
};
