package ai.dstack.server.api;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * An endpoint without a request model. FastAPI never reads the body of such an endpoint, so
 * whatever is sent, even malformed JSON, is ignored.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface NoRequestBody {}
