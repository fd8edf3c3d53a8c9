package dev.ljasync.internal.lua;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.SymbolLookup;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** LuaJIT from luajava's natives artifact: cached once by content, loaded when no system library is found. */
@Timeout(120)
class NativesArtifactTest {

    private static final String RESOURCE = LibraryCandidates.current().nativesResource();

    @Test
    void shouldCacheOneFileByContentEvenWhenManyAskAtOnce(@TempDir Path cache) throws Exception {
        byte[] content = NativesArtifact.read(RESOURCE);
        assertNotNull(content, RESOURCE + " is on the test class path (a test dependency)");
        List<Callable<Path>> askers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            askers.add(() -> NativesArtifact.cache(RESOURCE, content, cache));
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Path> paths = new ArrayList<>();
        try {
            for (Future<Path> f : pool.invokeAll(askers, 60, TimeUnit.SECONDS)) {
                paths.add(f.get());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, paths.stream().distinct().count(), paths.toString());
        try (Stream<Path> files = Files.list(cache)) {
            assertEquals(List.of(paths.get(0)), files.toList(), "no partial file is left behind");
        }
        assertArrayEquals(content, Files.readAllBytes(paths.get(0)));
        assertTrue(paths.get(0).getFileName().toString().endsWith("-" + RESOURCE));
        // other content, another name: a newer artifact never overwrites a file a running JVM has loaded
        Path other = NativesArtifact.cache(RESOURCE, "other".getBytes(StandardCharsets.UTF_8), cache);
        assertNotEquals(paths.get(0), other);
    }

    @Test
    void shouldReportNothingForAResourceNoJarHas() throws IOException {
        assertNull(NativesArtifact.read("no-such-luajit.so"));
    }

    @Test
    void shouldListEveryPlaceTriedWhenNoneHasLuaJit(@TempDir Path cache) {
        LibraryCandidates nowhere = new LibraryCandidates(List.of("libno-such-luajit.so.9"),
                List.of(Path.of("/nonexistent/libluajit-5.1.2.dylib")), "no-such-luajit.so");
        UnsatisfiedLinkError error = assertThrows(UnsatisfiedLinkError.class, () -> LuaJitLibrary.search(nowhere, cache));
        String message = error.getMessage();
        assertTrue(message.contains("libno-such-luajit.so.9"), message);
        assertTrue(message.contains("/nonexistent/libluajit-5.1.2.dylib: no such file"), message);
        assertTrue(message.contains("no-such-luajit.so from the natives artifact"), message);
        assertTrue(message.contains("not on the class path"), message);
    }

    @Test
    void shouldLoadTheArtifactsLuaJitWhenTheSystemHasNone(@TempDir Path cache) {
        // the system names fail, so the artifact's file is copied into the cache and opened
        LibraryCandidates artifactOnly = new LibraryCandidates(List.of("libno-such-luajit.so.9"), List.of(), RESOURCE);
        SymbolLookup found = LuaJitLibrary.search(artifactOnly, cache);
        assertTrue(found.find("luaL_newstate").isPresent());
        assertTrue(found.find("luaopen_ffi").isPresent());
        try (Stream<Path> files = Files.list(cache)) {
            assertEquals(1, files.filter(f -> f.getFileName().toString().endsWith("-" + RESOURCE)).count());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
