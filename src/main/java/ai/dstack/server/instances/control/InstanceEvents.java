package ai.dstack.server.instances.control;

import ai.dstack.server.events.control.EventTarget;
import ai.dstack.server.events.control.Events;
import ai.dstack.server.instances.entity.InstanceEntity;
import ai.dstack.server.instances.entity.InstanceStatus;
import jakarta.persistence.EntityManager;
import java.util.Locale;

/** Upstream's instance events, recorded in the transaction that changed the instance. */
public final class InstanceEvents {
  private InstanceEvents() {}

  /** "Instance status changed OLD -> NEW", if it did; {@code actorUserId} null = system. */
  public static void statusChanged(
      Events events,
      EntityManager em,
      InstanceEntity instance,
      InstanceStatus old,
      String actorUserId) {
    if (old == instance.getStatus()) {
      return;
    }
    events.record(
        em,
        statusMessage(
            old,
            instance.getStatus(),
            instance.getTerminationReason(),
            instance.getTerminationReasonMessage()),
        actorUserId,
        EventTarget.instance(instance));
  }

  /** The reason is told when the instance starts terminating or ends without having done so. */
  static String statusMessage(
      InstanceStatus old, InstanceStatus now, String reason, String reasonMessage) {
    String message = "Instance status changed " + old.name() + " -> " + now.name();
    boolean withReason =
        now == InstanceStatus.TERMINATING
            || (now == InstanceStatus.TERMINATED && old != InstanceStatus.TERMINATING);
    if (withReason && reason != null) {
      message += ". Termination reason: " + reason.toUpperCase(Locale.ROOT);
      if (reasonMessage != null && !reasonMessage.isEmpty()) {
        message += " (" + reasonMessage + ")";
      }
    }
    return message;
  }

  /** "Instance became (un)reachable", for instances that were available (idle or busy). */
  static void reachabilityChanged(
      Events events,
      EntityManager em,
      InstanceEntity instance,
      InstanceStatus old,
      boolean wasUnreachable) {
    boolean available = old == InstanceStatus.IDLE || old == InstanceStatus.BUSY;
    if (!available || wasUnreachable == instance.isUnreachable()) {
      return;
    }
    events.record(
        em,
        instance.isUnreachable() ? "Instance became unreachable" : "Instance became reachable",
        null,
        EventTarget.instance(instance));
  }
}
