package io.sessionbroker.cluster;

/**
 * Whether this node refuses new sessions because it is cut off from its cluster's quorum
 * (docs/cluster.md, split brain): devices then go to a node of the majority, which holds the
 * directory. Existing sessions are left alone.
 *
 * <p>This is runtime state, not wiring: the one {@code Fence} object is given at construction both
 * to the {@link SessionTable}, which reads it on every {@link SessionTable#open} and close, and to
 * the cluster's quorum watch ({@code hazelcast.MergeGuard}, told by {@code NodeLossWatch}), which
 * {@linkplain #cutOff cuts the node off} when it finds itself below quorum and lowers the fence
 * when a quorum is back. Nothing is attached to the table after it is built. A standalone node's
 * fence stays lowered unless a test raises it to play a cut-off node. Safe from any thread.
 *
 * <p>Two levels: {@link #raise} only refuses new sessions. {@link #cutOff} also makes the table
 * withhold close events: a cut-off node's copy of the directory and of the event log is its own,
 * not the cluster's, so it cannot tell whether the majority already announced a session's close
 * ({@code NODE_LOST}), and a close numbered in its own log would collide with the majority's
 * numbers. The table keeps those closes until the node has a quorum again and then announces only
 * those the cluster's directory still owes ({@link CutOffSessions#settleWithheld}).
 */
public final class Fence {

  private volatile boolean raised;
  private volatile boolean cutOff;

  /** From now on new sessions are refused. */
  public void raise() {
    raised = true;
  }

  /** New sessions are refused and close events withheld: this node lost its quorum. */
  public void cutOff() {
    raised = true;
    cutOff = true;
  }

  /** New sessions are accepted and closes announced again. */
  public void lower() {
    cutOff = false;
    raised = false;
  }

  public boolean isRaised() {
    return raised;
  }

  /** Whether this node lost its quorum: its closes are withheld until it has one again. */
  public boolean isCutOff() {
    return cutOff;
  }
}
