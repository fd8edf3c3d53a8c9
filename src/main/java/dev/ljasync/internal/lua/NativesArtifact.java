package dev.ljasync.internal.lua;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The LuaJIT file inside luajava's natives artifact, when that jar is on the class path: copied once into a
 * per-user cache under a name made from its content's hash, so that a file in the cache is never changed, two JVMs
 * starting at once agree on it, and another version of the artifact gets a file of its own.
 */
final class NativesArtifact {

    /** The coordinates a user adds to get LuaJIT without a system package. */
    static final String COORDINATES = "party.iroiro.luajava:luajit-platform:<version>:natives-desktop";

    private NativesArtifact() {}

    /** The class-path resource's bytes, or null when no jar on the class path has it. */
    static byte[] read(String resource) throws IOException {
        URL url = find(resource);
        if (url == null) {
            return null;
        }
        try (InputStream in = url.openStream()) {
            return in.readAllBytes();
        }
    }

    private static URL find(String resource) {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        URL url = context == null ? null : context.getResource(resource);
        return url != null ? url : ClassLoader.getSystemResource(resource);
    }

    /**
     * The cached copy of {@code content}, written first when missing: to a temporary file beside it, then renamed
     * into place atomically, so no JVM ever opens a half-written file.
     */
    static Path cache(String resource, byte[] content, Path directory) throws IOException {
        Files.createDirectories(directory);
        Path target = directory.resolve(hash(content) + "-" + resource);
        if (Files.isRegularFile(target) && Files.size(target) == content.length) {
            return target;
        }
        Path partial = Files.createTempFile(directory, ".partial-", "-" + resource);
        try {
            Files.write(partial, content);
            try {
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (FileAlreadyExistsException | AccessDeniedException | AtomicMoveNotSupportedException e) {
                // Windows cannot replace a DLL another JVM has loaded: the file there has the same content
                if (!Files.isRegularFile(target) || Files.size(target) != content.length) {
                    throw e;
                }
            }
            return target;
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    /** The per-user cache folder of this OS, or one under the temporary folder when there is no home. */
    static Path cacheDirectory(String osName, String home, String xdgCache, String localAppData, String tmp) {
        String os = osName.toLowerCase(Locale.ROOT);
        Path base;
        if (os.startsWith("windows") && localAppData != null && !localAppData.isBlank()) {
            base = Path.of(localAppData);
        } else if (home == null || home.isBlank() || home.equals("?")) {
            return Path.of(tmp, "lj-async-" + System.getProperty("user.name", "user"));
        } else if (os.startsWith("windows")) {
            base = Path.of(home, "AppData", "Local");
        } else if (os.startsWith("mac") || os.startsWith("darwin")) {
            base = Path.of(home, "Library", "Caches");
        } else {
            base = xdgCache != null && !xdgCache.isBlank() ? Path.of(xdgCache) : Path.of(home, ".cache");
        }
        return base.resolve("lj-async");
    }

    /** The cache folder of this JVM's user. */
    static Path cacheDirectory() {
        return cacheDirectory(System.getProperty("os.name", ""), System.getProperty("user.home"),
                System.getenv("XDG_CACHE_HOME"), System.getenv("LOCALAPPDATA"), System.getProperty("java.io.tmpdir"));
    }

    private static String hash(byte[] content) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(content);
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
