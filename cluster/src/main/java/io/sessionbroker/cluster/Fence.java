package io.sessionbroker.cluster;

/**
 * Whether this node refuses new sessions because it is cut off from its cluster's quorum
 * (docs/cluster.md, split brain): devices then go to a node of the majority, which holds the
 * directory. Existing sessions are left alone.
 *
 * <p>This is runtime state, not wiring: the one {@code Fence} object is given at construction both
 * to the {@link SessionTable}, which reads it on every {@link SessionTable#open}, and to the
 * cluster's quorum watch ({@code hazelcast.MergeGuard}, told by {@code NodeLossWatch}), which
 * raises it when the node finds itself below quorum and lowers it when a quorum is back. Nothing is
 * attached to the table after it is built. A standalone node's fence stays lowered unless a test
 * raises it to play a cut-off node. Safe from any thread.
 */
public final class Fence {

  private volatile boolean raised;

  /** From now on new sessions are refused. */
  public void raise() {
    raised = true;
  }

  /** New sessions are accepted again. */
  public void lower() {
    raised = false;
  }

  public boolean isRaised() {
    return raised;
  }
}
