package ai.dstack.server.logs.control;

import java.time.Instant;

/**
 * One stored event as the storage reads it back.
 *
 * @param logSource {@code stdout} or {@code stderr}
 * @param message the text as stored (the API base64-encodes it)
 */
public record LogEvent(Instant timestamp, String logSource, String message) {}
