package ai.dstack.server.proxy.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.dstack.server.settings.InvalidSettingException;
import ai.dstack.server.settings.Settings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServiceClientTimeoutTest {
  @Test
  void upstreamsSixtySecondsUnlessSet() {
    assertEquals(
        Duration.ofSeconds(60), Settings.from(Map.of(), "/h").runs().serviceClientTimeout());
    assertEquals(
        Duration.ofSeconds(5),
        Settings.from(Map.of("DSTACK_SERVICE_CLIENT_TIMEOUT", "5"), "/h")
            .runs()
            .serviceClientTimeout());
    assertThrows(
        InvalidSettingException.class,
        () -> Settings.from(Map.of("DSTACK_SERVICE_CLIENT_TIMEOUT", "soon"), "/h"));
  }
}
