package org.elasticsearch.io.ansi;

import java.io.Console;
import java.util.function.Supplier;

/** Stands for the distribution's ansi-console tool (not on Maven Central): no ANSI console. */
public final class AnsiConsoleLoader implements Supplier<Console> {
    @Override
    public Console get() {
        return null;
    }
}
