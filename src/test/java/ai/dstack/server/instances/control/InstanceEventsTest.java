package ai.dstack.server.instances.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.dstack.server.instances.entity.InstanceStatus;
import org.junit.jupiter.api.Test;

class InstanceEventsTest {
  @Test
  void theReasonIsToldWhenTerminationStartsOrEndsWithoutTerminating() {
    assertEquals(
        "Instance status changed PENDING -> IDLE",
        InstanceEvents.statusMessage(InstanceStatus.PENDING, InstanceStatus.IDLE, null, null));
    assertEquals(
        "Instance status changed IDLE -> TERMINATING. Termination reason: TERMINATED_BY_USER",
        InstanceEvents.statusMessage(
            InstanceStatus.IDLE, InstanceStatus.TERMINATING, "terminated_by_user", null));
    assertEquals(
        "Instance status changed PENDING -> TERMINATED. Termination reason: ERROR (no docker)",
        InstanceEvents.statusMessage(
            InstanceStatus.PENDING, InstanceStatus.TERMINATED, "error", "no docker"));
    assertEquals(
        "Instance status changed TERMINATING -> TERMINATED",
        InstanceEvents.statusMessage(
            InstanceStatus.TERMINATING, InstanceStatus.TERMINATED, "terminated_by_user", null));
  }
}
