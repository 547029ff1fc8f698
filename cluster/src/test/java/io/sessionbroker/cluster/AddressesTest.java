package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Verifies the event bus addresses that other modules and nodes build from parts. */
class AddressesTest {

  /**
   * Verifies that a node's own address is {@code sessions.node.<nodeId>.<suffix>}, as
   * docs/cluster.md states.
   */
  @Test
  void aNodesOwnAddressNamesTheNodeThenTheOperation() {
    // when
    String address = Addresses.ofNode("node-b", "admin.list");

    // then
    assertThat(address).isEqualTo("sessions.node.node-b.admin.list");
  }
}
