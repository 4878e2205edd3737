package ai.dstack.server.logs.control;

/**
 * One event as the runner reports it from {@code /api/pull}, its base64 already decoded.
 *
 * @param message raw bytes, not necessarily valid UTF-8
 */
public record RunnerLogEvent(long timestampMillis, byte[] message) {}
