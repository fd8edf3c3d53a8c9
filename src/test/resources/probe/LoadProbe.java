import dev.ljasync.LuaState;

/** Run in a fresh JVM by LibraryLoadingTest: the library is found once per JVM, at first use. */
public class LoadProbe {
    public static void main(String[] args) {
        try (LuaState lua = LuaState.open()) {
            System.out.println("loaded " + LuaState.luaJitVersion() + " " + lua.run("return 6 * 7")[0]);
        } catch (Throwable t) {
            Throwable root = t;
            while (root.getCause() != null) root = root.getCause();
            System.out.println("failed " + root.getClass().getName() + ": " + root.getMessage());
            System.exit(3);
        }
    }
}
