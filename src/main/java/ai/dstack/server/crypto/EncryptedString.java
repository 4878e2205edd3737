package ai.dstack.server.crypto;

import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;

/**
 * Columns upstream encrypts at rest, in its stored format {@code enc:<type>:<name>:<payload>}. A
 * loaded value is written back as it was stored unless the attribute was given a new value, so an
 * undecryptable value survives updates of other columns and rows are not re-encrypted by accident.
 */
@Converter
public class EncryptedString implements AttributeConverter<SecretText, String> {
  @Override
  public String convertToDatabaseColumn(SecretText value) {
    if (value == null) {
      return null;
    }
    return value.stored() != null
        ? value.stored()
        : EncryptionKeys.current().encrypt(value.plaintext());
  }

  @Override
  public SecretText convertToEntityAttribute(String stored) {
    return stored == null ? null : EncryptionKeys.current().decrypt(stored);
  }
}
