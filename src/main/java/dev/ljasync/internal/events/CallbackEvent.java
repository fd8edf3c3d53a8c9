package dev.ljasync.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;

/** What every event about a callback says: which callback (its chunk name) and its C type. */
@Category("lj-async")
abstract class CallbackEvent extends Event {

    @Label("Callback")
    @Description("The callback's chunk name (Callback.Builder.name, \"callback\" by default)")
    String callback;

    @Label("Signature")
    @Description("The callback's C function-pointer type")
    String signature;

    /** Fills the fields and commits, when enabled and past its threshold; after {@link #end()} for a duration. */
    final void record(String callback, String signature) {
        if (shouldCommit()) {
            this.callback = callback;
            this.signature = signature;
            commit();
        }
    }
}
