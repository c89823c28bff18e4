package io.github.dlock.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** What code on the module path may use of lock-core: the API and the SPI, nothing else. */
class ModuleDescriptorTest {

    @Test
    void exportsTheApiAndTheSpi_andTheInternalsOnlyToDlocksOwnModules() throws Exception {
        ModuleDescriptor module;
        Path classes = Path.of(Arguments.class.getProtectionDomain().getCodeSource().getLocation().toURI()); // lock-core's classes
        assertTrue(Files.exists(classes.resolve("module-info.class")), "lock-core has no module-info.class in " + classes);
        try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
            module = ModuleDescriptor.read(in);
        }
        assertEquals("io.github.dlock", module.name());
        Map<String, Set<String>> exports = new TreeMap<>();
        for (ModuleDescriptor.Exports e : module.exports()) exports.put(e.source(), e.targets());
        assertEquals(Map.of(
                "io.github.dlock", Set.of(),
                "io.github.dlock.spi", Set.of(),
                "io.github.dlock.internal", Set.of("io.github.dlock.file", "io.github.dlock.redis", "io.github.dlock.postgres", "io.github.dlock.cli",
                        "io.github.dlock.spring")),
                exports, "exports (an empty set means: to everyone)");
        assertTrue(module.uses().contains("io.github.dlock.spi.LockProviderFactory"), "ServiceLoader needs 'uses LockProviderFactory'");
        assertTrue(module.opens().isEmpty(), "opens nothing: " + module.opens());
    }
}
