package dev.ljasync.internal.lua;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The places LuaJIT is looked for on each OS and processor, in order (macOS and Windows cannot run here). */
class LibraryCandidatesTest {

    @Test
    void shouldTryTheSonameThenTheNativesForLinux() {
        LibraryCandidates x86 = LibraryCandidates.of("Linux", "amd64");
        assertEquals(List.of("libluajit-5.1.so.2", "libluajit-5.1.so"), x86.systemNames());
        assertEquals(List.of(), x86.systemPaths());
        assertEquals("libluajit64.so", x86.nativesResource());
        assertEquals("libluajitarm64.so", LibraryCandidates.of("Linux", "aarch64").nativesResource());
    }

    @Test
    void shouldTryHomebrewAndMacPortsPathsOnMacOs() {
        LibraryCandidates arm = LibraryCandidates.of("Mac OS X", "aarch64");
        assertEquals(List.of("libluajit-5.1.2.dylib"), arm.systemNames());
        assertEquals(List.of(Path.of("/opt/homebrew/lib/libluajit-5.1.2.dylib"),
                Path.of("/usr/local/lib/libluajit-5.1.2.dylib"), Path.of("/opt/local/lib/libluajit-5.1.2.dylib")),
                arm.systemPaths());
        assertEquals("libluajitarm64.dylib", arm.nativesResource());
        LibraryCandidates intel = LibraryCandidates.of("Mac OS X", "x86_64");
        assertEquals(Path.of("/usr/local/lib/libluajit-5.1.2.dylib"), intel.systemPaths().get(0));
        assertEquals("libluajit64.dylib", intel.nativesResource());
    }

    @Test
    void shouldTryLua51DllOnWindows() {
        LibraryCandidates x86 = LibraryCandidates.of("Windows 11", "amd64");
        assertEquals(List.of("lua51.dll"), x86.systemNames());
        assertEquals("luajit64.dll", x86.nativesResource());
        assertEquals("luajitarm64.dll", LibraryCandidates.of("Windows Server 2022", "aarch64").nativesResource());
    }

    @Test
    void shouldNameAnUnsupportedPlatform() {
        assertTrue(assertThrows(UnsupportedOperationException.class, () -> LibraryCandidates.of("Linux", "riscv64"))
                .getMessage().contains("riscv64"));
        assertTrue(assertThrows(UnsupportedOperationException.class, () -> LibraryCandidates.of("AIX", "amd64"))
                .getMessage().contains("AIX"));
    }

    @Test
    void shouldPickEachOsCacheFolder() {
        assertEquals(Path.of("/home/u/.cache/lj-async"),
                NativesArtifact.cacheDirectory("Linux", "/home/u", null, null, "/tmp"));
        assertEquals(Path.of("/xdg/lj-async"), NativesArtifact.cacheDirectory("Linux", "/home/u", "/xdg", null, "/tmp"));
        assertEquals(Path.of("/Users/u/Library/Caches/lj-async"),
                NativesArtifact.cacheDirectory("Mac OS X", "/Users/u", null, null, "/tmp"));
        assertEquals(Path.of("C:\\Users\\u\\AppData\\Local", "lj-async"),
                NativesArtifact.cacheDirectory("Windows 11", "/h", null, "C:\\Users\\u\\AppData\\Local", "/tmp"));
        assertTrue(NativesArtifact.cacheDirectory("Linux", "?", null, null, "/tmp").startsWith("/tmp"));
    }
}
