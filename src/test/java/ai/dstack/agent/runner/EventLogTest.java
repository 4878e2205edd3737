package ai.dstack.agent.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventLogTest {
  @TempDir Path tmp;

  @Test
  void pagesByTimestampAndSurvivesReopeningWithATornLastLine() throws Exception {
    Path file = tmp.resolve("log.jsonl");
    EventLog log = new EventLog(file);
    for (int i = 1; i <= 5; i++) {
      log.append(1000 + i, ("m" + i).getBytes(StandardCharsets.UTF_8), i * 10L);
    }
    EventLog.Page page = log.after(1002, 2, Long.MAX_VALUE);
    assertEquals(2, page.events().size());
    assertTrue(page.truncated());
    assertEquals(1003L, page.events().get(0).get("timestamp"));
    assertEquals(
        "m3", new String(Base64.getDecoder().decode((String) page.events().get(0).get("message"))));
    assertFalse(page.events().get(0).containsKey("raw_end"), "offsets are internal");
    assertEquals(30, log.rawOffsetAt(1004));
    assertEquals(0, log.rawOffsetAt(900));

    Files.writeString(file, "{\"timestamp\":1006,\"mess", StandardOpenOption.APPEND);
    EventLog reopened = new EventLog(file);
    assertEquals(1005, reopened.lastTimestamp());
    assertEquals(50, reopened.lastRawEnd());
    reopened.append(1006, "m6".getBytes(StandardCharsets.UTF_8), 60);
    EventLog.Page rest = new EventLog(file).after(1004, 10, Long.MAX_VALUE);
    assertEquals(2, rest.events().size());
    assertFalse(rest.truncated());
  }

  @Test
  void aPageStopsAtItsByteBudgetButAlwaysCarriesOneEvent() throws Exception {
    EventLog log = new EventLog(tmp.resolve("big.jsonl"));
    byte[] line = new byte[3000];
    for (int i = 1; i <= 10; i++) {
      log.append(i, line, i * 3000L);
    }
    EventLog.Page page = log.after(0, 2000, 10_000);
    assertEquals(3, page.events().size(), "4,000 base64 characters each: the third reaches 10,000");
    assertTrue(page.truncated());
    EventLog.Page one = log.after(0, 2000, 1);
    assertEquals(1, one.events().size());
    assertEquals(10, log.after(0, 2000, Long.MAX_VALUE).events().size());
  }
}
