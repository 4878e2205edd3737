package ai.dstack.server.fleets.control;

import ai.dstack.server.db.Times;
import ai.dstack.server.events.control.Events;
import ai.dstack.server.fleets.entity.FleetEntity;
import ai.dstack.server.fleets.entity.FleetStatus;
import ai.dstack.server.instances.entity.InstanceStatus;
import ai.dstack.server.workers.Lease;
import ai.dstack.server.workers.Pipeline;
import ai.dstack.server.workers.PipelineSettings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.time.Instant;
import java.util.logging.Logger;

/** A deleted fleet ends ({@code terminated}, deleted) once none of its instances is left. */
@ApplicationScoped
public class FleetPipeline implements Pipeline<Boolean> {
  private static final Logger LOG = Logger.getLogger(FleetPipeline.class.getName());

  @Inject private Events events;

  @Override
  public String name() {
    return Fleets.FLEET_PIPELINE;
  }

  @Override
  public String table() {
    return "fleets";
  }

  @Override
  public String eligible() {
    return "status = 'TERMINATING'";
  }

  @Override
  public PipelineSettings defaults() {
    return PipelineSettings.of(2, Duration.ofSeconds(5), Duration.ofMinutes(1));
  }

  /** True when every instance of the fleet has ended. */
  @Override
  public Boolean load(EntityManager em, Lease lease) {
    FleetEntity fleet = em.find(FleetEntity.class, lease.id());
    if (fleet == null || fleet.getStatus() != FleetStatus.TERMINATING) {
      return null;
    }
    Long left =
        em.createQuery(
                "SELECT COUNT(i) FROM InstanceEntity i WHERE i.fleetId = :fleet"
                    + " AND i.status <> :terminated",
                Long.class)
            .setParameter("fleet", fleet.getId())
            .setParameter("terminated", InstanceStatus.TERMINATED)
            .getSingleResult();
    return left == 0;
  }

  @Override
  public Apply process(Boolean allEnded, Lease lease) {
    if (!allEnded) {
      return Apply.NOTHING;
    }
    return em -> {
      FleetEntity fleet = em.find(FleetEntity.class, lease.id());
      Instant now = Times.now();
      FleetStatus old = fleet.getStatus();
      fleet.setStatus(FleetStatus.TERMINATED);
      fleet.markDeleted(now);
      Fleets.fleetStatusChanged(events, em, fleet, old, null);
      LOG.info("Fleet " + fleet.getName() + " terminated");
    };
  }
}
