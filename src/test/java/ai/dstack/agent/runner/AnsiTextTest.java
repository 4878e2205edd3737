package ai.dstack.agent.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class AnsiTextTest {
  private static String feed(AnsiText ansi, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return new String(ansi.feed(b, 0, b.length), StandardCharsets.UTF_8);
  }

  @Test
  void colorsAndTitlesGoCrlfBecomesLfAndProgressOverwritesItsLine() {
    AnsiText ansi = new AnsiText();
    assertEquals(
        "green text\nline two\n",
        feed(ansi, "\u001b[32mgreen\u001b[0m text\r\n\u001b]0;title\u0007line two\r\n"));
    assertEquals("", feed(ansi, "progress 10%\rprogress 50%\rprogress 100%"));
    assertEquals("progress 100% done\n", feed(ansi, " done\r\n"));
  }

  @Test
  void sequencesAndLinesSplitAcrossChunksAreHandled() {
    AnsiText ansi = new AnsiText();
    assertEquals("", feed(ansi, "abc\u001b["));
    assertEquals("", feed(ansi, "1;31"));
    assertEquals("", feed(ansi, "mdef\r"));
    assertEquals("abcdef\n", feed(ansi, "\npartial"));
    assertEquals("partial", new String(ansi.flush(), StandardCharsets.UTF_8));
    assertEquals("", new String(ansi.flush(), StandardCharsets.UTF_8));
  }
}
