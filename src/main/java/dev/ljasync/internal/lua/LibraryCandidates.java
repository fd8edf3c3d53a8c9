package dev.ljasync.internal.lua;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where LuaJIT 2.1 may be, in the order {@link LuaJitLibrary} tries them, for one operating system and processor:
 * the system library by the names and paths each OS's package managers give it, then the file for this platform
 * inside luajava's natives artifact ({@code party.iroiro.luajava:luajit-platform:natives-desktop}) when that jar is
 * on the class path. A pure function of its inputs, so the choice for macOS and Windows is tested on Linux.
 */
record LibraryCandidates(List<String> systemNames, List<Path> systemPaths, String nativesResource) {

    /** The platform this JVM runs on. */
    static LibraryCandidates current() {
        return of(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
    }

    /**
     * The candidates for an {@code os.name} and {@code os.arch} as the JVM reports them.
     *
     * @throws UnsupportedOperationException for an OS or processor that LuaJIT and Panama do not both support
     */
    static LibraryCandidates of(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        boolean arm = switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64", "x86-64" -> false;
            case "aarch64", "arm64" -> true;
            default -> throw new UnsupportedOperationException("no LuaJIT is known for the processor " + osArch
                    + "; lj-async runs on x86-64 and arm64");
        };
        if (os.startsWith("linux")) {
            // the soname first (the runtime package); the unversioned name exists only with the -dev package
            return new LibraryCandidates(List.of("libluajit-5.1.so.2", "libluajit-5.1.so"), List.of(),
                    arm ? "libluajitarm64.so" : "libluajit64.so");
        }
        if (os.startsWith("mac") || os.startsWith("darwin")) {
            // dlopen by name finds neither Homebrew's prefix (/opt/homebrew on arm64, /usr/local on x86-64) nor
            // MacPorts' (/opt/local) unless DYLD_* variables say so, which SIP strips: try their paths too
            String file = "libluajit-5.1.2.dylib";
            List<Path> paths = new ArrayList<>();
            for (String prefix : arm ? List.of("/opt/homebrew", "/usr/local", "/opt/local")
                    : List.of("/usr/local", "/opt/homebrew", "/opt/local")) {
                paths.add(Path.of(prefix, "lib", file));
            }
            return new LibraryCandidates(List.of(file), List.copyOf(paths),
                    arm ? "libluajitarm64.dylib" : "libluajit64.dylib");
        }
        if (os.startsWith("windows")) {
            // LuaJIT's own Windows build (msvcbuild.bat, MSYS2, vcpkg) names its DLL lua51.dll
            return new LibraryCandidates(List.of("lua51.dll"), List.of(), arm ? "luajitarm64.dll" : "luajit64.dll");
        }
        throw new UnsupportedOperationException("no LuaJIT is known for the operating system " + osName
                + "; lj-async runs on Linux, macOS and Windows");
    }
}
