package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.*;

/** The child-JVM harness itself: a crash is seen as one, with its hs_err summary. */
@Timeout(200)
class ChildJvmTest {

    static void printsAndReturns() {
        System.out.println("lua says " + LuaState.open().run("return 6 * 7")[0]);
    }

    static void throwsAnError() {
        throw new AssertionError("expected failure");
    }

    static void crashes() throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle raise = linker.downcallHandle(linker.defaultLookup().find("raise").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        int ignored = (int) raise.invokeExact(11); // SIGSEGV
    }

    @Test
    void shouldReportWhatAPassingScenarioPrinted() {
        ChildJvm.run(ChildJvmTest.class, "printsAndReturns").assertPrinted("lua says 42");
    }

    @Test
    void shouldReportAThrowingScenarioAsFailed() {
        ChildJvm.Outcome outcome = ChildJvm.run(ChildJvmTest.class, "throwsAnError");
        assertEquals(ChildJvm.THREW, outcome.exitCode(), outcome.output());
        assertTrue(outcome.output().contains("expected failure"), outcome.output());
        assertThrows(AssertionError.class, outcome::assertPassed);
    }

    @Test
    void shouldReportACrashWithItsSummary() {
        ChildJvm.Outcome outcome = ChildJvm.run(ChildJvmTest.class, "crashes");
        assertNotEquals(ChildJvm.PASSED, outcome.exitCode(), outcome.output());
        AssertionError error = assertThrows(AssertionError.class, outcome::assertPassed);
        assertTrue(error.getMessage().contains("SIGSEGV"), error.getMessage());
    }
}
