package ai.dstack.server.events.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class EventTargetTest {
  private static final String ID = "0a1b2c3d-0000-0000-0000-000000000000";
  private static final String PROJECT = "11111111-0000-0000-0000-000000000000";

  @Test
  void runAndFleetTargetsAreTheirOwnRunAndFleet() {
    EventTarget run = new EventTarget("run", ID, "train", PROJECT);
    assertEquals(ID, run.runId());
    assertNull(run.fleetId());
    assertEquals(ID, new EventTarget("fleet", ID, "f", PROJECT).fleetId());
    assertEquals(PROJECT, EventTarget.job(ID, "train-0-0", PROJECT, PROJECT).runId());
  }

  @Test
  void upstreamInvariantsAreEnforced() {
    assertThrows(IllegalArgumentException.class, () -> new EventTarget("user", ID, "u", PROJECT));
    assertThrows(IllegalArgumentException.class, () -> new EventTarget("fleet", ID, "f", null));
    assertThrows(
        IllegalArgumentException.class, () -> new EventTarget("project", ID, "p", PROJECT));
    assertThrows(
        IllegalArgumentException.class, () -> new EventTarget("job", ID, "j", PROJECT, null, null));
    assertThrows(IllegalArgumentException.class, () -> new EventTarget("Run", ID, "r", PROJECT));
  }

  @Test
  void messagesAreOneLineWithoutTrailingPeriodsAndTargetsLogShort() {
    assertEquals(
        "Fleet created. Status: ACTIVE", Events.normalized("  Fleet created. Status: ACTIVE.. \n"));
    assertEquals("a b", Events.normalized("a\nb"));
    assertEquals("run(0a1b2c)train", new EventTarget("run", ID, "train", PROJECT).fmt());
  }
}
