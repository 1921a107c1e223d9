// Score normalisation shared by score plugins (plugins/helper.DefaultNormalizeScore): scale raw
// scores so the highest becomes `maxPriority`, optionally reversed (fewest "bad" points wins).
import { SUCCESS } from "../../framework/status.ts";
import type { Status } from "../../framework/status.ts";
import { MAX_NODE_SCORE } from "../../framework/types.ts";
import type { NodeScores } from "../../framework/types.ts";

/**
 * Rewrites `scores` in place: score → floor(maxPriority * score / max). With `reverse`, each becomes
 * maxPriority minus that. When every score is 0 they stay 0, or all become maxPriority if reversed.
 * Raw scores are assumed non-negative integers (as Kubernetes' int64 arithmetic).
 */
export function defaultNormalizeScore(scores: NodeScores, reverse = false, maxPriority: number = MAX_NODE_SCORE): Status {
  let max = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i] > max) max = scores[i];
  if (max === 0) {
    if (reverse) scores.fill(maxPriority);
    return SUCCESS;
  }
  for (let i = 0; i < scores.length; i++) {
    const s = Math.trunc((maxPriority * scores[i]) / max);
    scores[i] = reverse ? maxPriority - s : s;
  }
  return SUCCESS;
}
