package ai.dstack.server.crypto;

import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;

/**
 * Columns upstream encrypts at rest, in its stored format {@code enc:<type>:<name>:<payload>}
 * (SERVER.md §4). Only the identity key exists until encryption keys are configured.
 */
@Converter
public class EncryptedString implements AttributeConverter<String, String> {
  private static final String IDENTITY_PREFIX = "enc:identity:noname:";

  @Override
  public String convertToDatabaseColumn(String plaintext) {
    return plaintext == null ? null : IDENTITY_PREFIX + plaintext;
  }

  @Override
  public String convertToEntityAttribute(String stored) {
    if (stored == null) {
      return null;
    }
    if (stored.startsWith(IDENTITY_PREFIX)) {
      return stored.substring(IDENTITY_PREFIX.length());
    }
    throw new IllegalStateException(
        "Value encrypted with a key this server does not have: "
            + stored.substring(0, Math.min(stored.length(), 24)));
  }
}
