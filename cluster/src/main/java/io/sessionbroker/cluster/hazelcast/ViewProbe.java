package io.sessionbroker.cluster.hazelcast;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.concurrent.Callable;

/**
 * Run on another member by a survivor of a node loss ({@link NodeLossWatch}): answers that member's
 * own view of the cluster, the UUIDs of the members it sees. The survivor counts the member towards
 * its quorum only if that view holds the survivor and no longer holds the lost node.
 */
final class ViewProbe implements Callable<ArrayList<String>>, Serializable, HazelcastInstanceAware {

  private static final long serialVersionUID = 1L;

  private transient HazelcastInstance hazelcast;

  @Override
  public void setHazelcastInstance(HazelcastInstance hazelcast) {
    this.hazelcast = hazelcast;
  }

  @Override
  public ArrayList<String> call() {
    ArrayList<String> view = new ArrayList<>();
    for (Member member : hazelcast.getCluster().getMembers()) {
      view.add(member.getUuid().toString());
    }
    return view;
  }
}
