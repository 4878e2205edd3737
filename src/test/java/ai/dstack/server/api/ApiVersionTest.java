package ai.dstack.server.api;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ApiVersionTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "latest",
        "0.0.0",
        "0.0.0.dev1",
        "0.20.0",
        "0.20.29",
        "0.20.31",
        "0.19.2",
        "0.20.30rc1"
      })
  void acceptsOlderAndSameMinorClients(String version) {
    assertDoesNotThrow(() -> ApiVersion.check(version, "0.20.29"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"0.21.0", "1.0.0", "0.21.0rc1"})
  void refusesClientsWithANewerMinorOrMajor(String version) {
    ApiException e = assertThrows(ApiException.class, () -> ApiVersion.check(version, "0.20.29"));
    assertEquals(400, e.status());
    assertEquals(
        "{\"detail\":[{\"msg\":\"The client/CLI version ("
            + version
            + ") is incompatible with the server version (0.20.29).\",\"code\":\"error\"}]}",
        e.body().toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"garbage", "1.x", "v"})
  void unparseableVersionsAreInvalid(String version) {
    ApiException e = assertThrows(ApiException.class, () -> ApiVersion.check(version, "0.20.29"));
    assertEquals(
        "{\"detail\":[{\"msg\":\"Invalid version: " + version + "\",\"code\":null}]}",
        e.body().toString());
  }
}
