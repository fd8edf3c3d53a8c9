package dev.ljasync;

import dev.ljasync.internal.values.Messages;
import dev.ljasync.internal.sync.ChannelSelect;
import dev.ljasync.internal.sync.Shared;
import dev.ljasync.internal.sync.SharedChannel;

import java.lang.ref.Reference;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeoutException;

/**
 * A first-in, first-out queue of Lua values shared by Java and every {@code lua_State} of the library: any number of
 * threads send and receive at once, each value is received once, and the values of one sender arrive in the order
 * it sent them. Thread-safe. Unbounded, or bounded by a capacity, where a send waits for room.
 *
 * <pre>{@code
 * try (Channel jobs = new Channel(64);
 *      Callback worker = CallbackType.of("void *(*)(void *)").create("""
 *              local sync = require("ljasync.sync")
 *              local jobs = sync.wrap(...)
 *              return function()
 *                while true do
 *                  local job, err = jobs:receive()
 *                  if err then return end -- "closed": the channel is closed and empty
 *                  print(job.name, #job.data)
 *                end
 *              end""", jobs)) {
 *     jobs.send(Map.of("name", "first", "data", new byte[] {1, 2, 3}));
 *     // ... run worker.funcptr() on threads; jobs.close() tells them there is no more work
 * }
 * }</pre>
 *
 * <h2>Values</h2>
 * A value is copied into the channel: nil, booleans, numbers, {@code int64_t} and {@code uint64_t} cdata (every bit
 * kept), strings (any bytes), pointers (a pointer, array or struct cdata as its address, which arrives as a
 * {@code void *} in Lua and a zero-length native MemorySegment in Java), and tables of those, nested up to 100 deep,
 * with string, number or boolean keys. A function, coroutine, userdata, other cdata or a cyclic table is refused with
 * an error that names where it sits in the value ({@code value.jobs[2]}), before anything is sent. A table's metatable is not copied; its raw contents
 * are. A table held in several places of a value (a Lua table referenced twice, a Java Map or List object held
 * twice) is copied once and arrives as one table held in those places. A message is at most 256 MB (268,435,456
 * bytes): a larger value is refused with an error that names where it crossed the limit. Java sends null,
 * Boolean, Long/Integer/Short/Byte, Double/Float, BigInteger, String, byte[], native MemorySegments, {@code Map}s
 * and {@code List}s (a
 * list becomes the table {@code {[1] = first, [2] = second, ...}}); a String with a lone surrogate (no UTF-8 form)
 * and a Map with two keys that are one key in Lua ({@code 1}, {@code 1L} and {@code 1.0};
 * {@code "A"} and {@code byte[] {65}}) are refused, naming them. Java receives:
 * <ul>
 *   <li>nil as null, a boolean as Boolean;</li>
 *   <li>a number as Long when its value is integral and in long's range, else Double; an {@code int64_t} as Long;
 *       a {@code uint64_t} as Long below 2^63, else BigInteger. The other way, a Long within ±2^53 becomes a
 *       number and a larger one an {@code int64_t}; a BigInteger becomes an {@code int64_t} when negative, else a
 *       {@code uint64_t};</li>
 *   <li>a string as String when its bytes are valid UTF-8, else byte[] (as {@link LuaState} does);</li>
 *   <li>a table as a {@code Map<Object, Object>} (a {@link java.util.LinkedHashMap} in the order the pairs were
 *       sent), sequences included: {@code {"a", "b"}} is {@code {1=a, 2=b}}. A null map value or list element is
 *       left out, as nil is in a Lua table.</li>
 * </ul>
 *
 * <h2>In Lua</h2>
 * Every state the library makes (a {@link LuaState}, a callback's, a {@link LuaThread}'s) can load the module, as long
 * as it has the package and ffi libraries, as it does by default.
 * {@code local sync = require("ljasync.sync")}; {@code sync.channel([capacity])} makes one, and
 * {@code sync.wrap(handle)} wraps one passed as an argument (it arrives as its {@link #handle()}). Methods (timeouts
 * in seconds; none means as long as it takes):
 * <ul>
 *   <li>{@code ch:send(value [, timeout])}: true, or {@code false, "timeout"}; raises an error for a value that
 *       cannot be sent and on a closed channel;</li>
 *   <li>{@code ch:receive([timeout])}: the value (which may be nil), or {@code nil, "timeout"}, or
 *       {@code nil, "closed"} once the channel is closed and empty;</li>
 *   <li>{@code ch:close()}, {@code ch:is_closed()}, {@code ch:size()}, {@code ch:handle()};</li>
 *   <li>{@code sync.select({ch1, ch2, ...} [, timeout])} receives from whichever has a value first (see
 *       {@link #select(Duration, Channel...)}): {@code index, value}, or {@code index, nil, "closed"} for a closed,
 *       empty channel, or {@code nil, nil, "timeout"}.</li>
 * </ul>
 * A thread that is interrupted while it waits in Lua stops waiting with an error; its interrupt flag stays set. A
 * wait from Lua runs inside a native call, so on a virtual thread it pins the carrier: there a wait without a timeout
 * that would have to wait raises an error instead, and a timed one pins the carrier at most that long (this applies
 * to {@code m:lock} and {@code s:acquire} too). The Java methods here do not pin, unless called by a Java function
 * that Lua code called.
 *
 * <h2>Lifetime</h2>
 * A channel lives while this object (or another {@code Channel} for the same handle) is reachable or a Lua wrapper of
 * it exists in some state; Lua wrappers go with their state at the latest. A handle alone keeps nothing alive: wrap
 * it while its sender still holds the channel (a channel passed as an argument is held for the call; one returned by
 * a {@link JavaFunction} is not, so keep a reference to it). When the last
 * reference goes, the values still queued are dropped: no one could receive them. {@link #close()} is not that: it
 * ends the stream of values, for every holder. A state whose code waits in a channel cannot be closed until the wait
 * ends (closing a state waits for the call in flight): close the channel, or interrupt the waiting thread. A value
 * is lost only if the receiving state runs out of memory while it rebuilds the value from its bytes.
 */
public final class Channel implements AutoCloseable {

    private final SharedChannel shared;

    /** A new unbounded channel: a send never waits. */
    public Channel() {
        this(SharedChannel.create(0));
    }

    /**
     * A new channel that holds at most {@code capacity} values: a send to a full channel waits.
     *
     * @param capacity the most values the channel holds at once, 1 or more
     * @throws IllegalArgumentException when {@code capacity} is less than 1
     */
    public Channel(int capacity) {
        this(SharedChannel.create(checkCapacity(capacity)));
    }

    private Channel(SharedChannel shared) {
        this.shared = shared;
        shared.releaseWhenUnreachable(this);
    }

    private static int checkCapacity(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a channel's capacity must be at least 1, not " + capacity
                    + "; new Channel() is unbounded");
        }
        return capacity;
    }

    /**
     * The channel a handle names, made by Java or by Lua ({@code ch:handle()}); a new Java object for it.
     *
     * @param handle the channel's {@link #handle()}
     * @return a new {@code Channel} for that channel, equal to every other one for it
     * @throws IllegalArgumentException when no live channel has this handle
     */
    public static Channel fromHandle(long handle) {
        return new Channel(Shared.retain(handle, SharedChannel.class, Shared.Kind.CHANNEL));
    }

    /**
     * The number that names this channel in every state: pass it (or this object) to Lua and wrap it there.
     *
     * @return the handle, a positive integer exact as a Lua number
     */
    public long handle() {
        return shared.handle();
    }

    /**
     * Sends a value, waiting as long as it takes for room.
     *
     * @param value the value to copy into the channel; null sends nil
     * @throws IllegalArgumentException when the value cannot cross (see the class documentation); nothing is sent
     * @throws ClosedException          when the channel is closed
     * @throws InterruptedException     when the thread is interrupted while it waits; nothing is sent
     */
    public void send(Object value) throws InterruptedException {
        send(Messages.message(value), Shared.FOREVER);
    }

    /**
     * Sends a value, waiting at most {@code timeout} for room.
     *
     * @param value   the value to copy into the channel; null sends nil
     * @param timeout how long to wait for room at most; zero only tries
     * @return true when sent, false after the timeout (nothing is sent then)
     * @throws IllegalArgumentException when the value cannot cross, or the timeout is negative; nothing is sent
     * @throws ClosedException          when the channel is closed
     * @throws InterruptedException     when the thread is interrupted while it waits; nothing is sent
     */
    public boolean send(Object value, Duration timeout) throws InterruptedException {
        long nanos = Shared.nanos(timeout);
        return send(Messages.message(value), nanos);
    }

    private boolean send(Object message, long nanos) throws InterruptedException {
        int status = shared.send(message, nanos);
        if (status == Shared.CLOSED) {
            throw new ClosedException("channel " + handle() + " is closed: it takes no more values");
        }
        return status == Shared.OK;
    }

    /**
     * Receives the next value, waiting as long as it takes for one.
     *
     * @return the value; null for nil
     * @throws ClosedException      when the channel is closed and every value sent has been received
     * @throws InterruptedException when the thread is interrupted while it waits
     */
    public Object receive() throws InterruptedException {
        return value(shared.receive(Shared.FOREVER));
    }

    /**
     * Receives the next value, waiting at most {@code timeout} for one.
     *
     * @param timeout how long to wait for a value at most; zero only tries
     * @return the value; null for nil
     * @throws TimeoutException         when no value came within the timeout
     * @throws ClosedException          when the channel is closed and every value sent has been received
     * @throws IllegalArgumentException when the timeout is negative
     * @throws InterruptedException     when the thread is interrupted while it waits
     */
    public Object receive(Duration timeout) throws InterruptedException, TimeoutException {
        Object message = shared.receive(Shared.nanos(timeout));
        if (message == SharedChannel.TIMED_OUT) {
            throw new TimeoutException("no value came through channel " + handle() + " in " + timeout);
        }
        return value(message);
    }

    private Object value(Object message) {
        if (message == SharedChannel.ENDED) {
            throw new ClosedException("channel " + handle() + " is closed and empty: every value sent has been"
                    + " received");
        }
        return Messages.value(message);
    }

    /**
     * Receives from whichever of {@code channels} has a value first, waiting as long as it takes: Go's
     * {@code select} over receives. The channels are looked at in turn from a rotating start, so a channel that always
     * has values does not starve the others; a closed, empty channel is chosen as one that is ready (its
     * {@link Selected#closed()} is true), so take it out of the next select.
     *
     * @param channels the channels to receive from, one or more (a channel listed twice counts once per place)
     * @return the channel chosen, its index in {@code channels}, and the value received or that it is closed
     * @throws IllegalArgumentException when no channel is given
     * @throws NullPointerException     when a channel is null
     * @throws InterruptedException     when the thread is interrupted while it waits; nothing is received
     */
    public static Selected select(Channel... channels) throws InterruptedException {
        return select(Shared.FOREVER, channels);
    }

    /**
     * Receives from whichever of {@code channels} has a value first, waiting at most {@code timeout}: as
     * {@link #select(Channel...)}.
     *
     * @param timeout  how long to wait for a value at most; zero only looks
     * @param channels the channels to receive from, one or more
     * @return the channel chosen, its index in {@code channels}, and the value received or that it is closed
     * @throws TimeoutException         when no channel had a value (or was closed) within the timeout
     * @throws IllegalArgumentException when no channel is given, or the timeout is negative
     * @throws NullPointerException     when a channel is null
     * @throws InterruptedException     when the thread is interrupted while it waits; nothing is received
     */
    public static Selected select(Duration timeout, Channel... channels) throws InterruptedException,
            TimeoutException {
        Selected selected = select(Shared.nanos(timeout), channels);
        if (selected == null) {
            throw new TimeoutException("no value came through channels " + Arrays.stream(channels)
                    .map(c -> String.valueOf(c.handle())).toList() + " in " + timeout);
        }
        return selected;
    }

    private static Selected select(long nanos, Channel... channels) throws InterruptedException {
        SharedChannel[] shared = new SharedChannel[channels.length];
        for (int i = 0; i < channels.length; i++) {
            if (channels[i] == null) {
                throw new NullPointerException("channel " + i + " of the select is null");
            }
            shared[i] = channels[i].shared;
        }
        ChannelSelect select = new ChannelSelect(shared);
        int status = select.await(nanos);
        Reference.reachabilityFence(channels); // they hold the channels while the select waits in them
        if (status == Shared.TIMEOUT) {
            return null;
        }
        Channel chosen = channels[select.index()];
        return status == Shared.CLOSED ? new Selected(select.index(), chosen, null, true)
                : new Selected(select.index(), chosen, Messages.value(select.message()), false);
    }

    /**
     * What a {@link #select} received.
     *
     * @param index   the index of the channel in the select's arguments
     * @param channel the channel
     * @param value   the value received (null for nil, and when closed)
     * @param closed  true when the channel is closed and empty: nothing was received
     */
    public record Selected(int index, Channel channel, Object value, boolean closed) {}

    /**
     * How many values wait to be received.
     *
     * @return the number of values queued now
     */
    public int size() {
        return shared.size();
    }

    /**
     * Closes the channel for every holder, in Java and in Lua: sends are refused from now on, and every waiting
     * thread wakes. The values already sent can still be received; after them, receiving says the channel is
     * closed. A second close does nothing.
     */
    @Override
    public void close() {
        shared.close();
    }

    /**
     * True once closed (by any holder).
     *
     * @return whether the channel is closed
     */
    public boolean isClosed() {
        return shared.isClosed();
    }

    /** Equal when both name the same channel. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Channel other && other.shared == shared;
    }

    /** A hash of the handle, consistent with {@link #equals}. */
    @Override
    public int hashCode() {
        return Long.hashCode(handle());
    }

    /** The handle and the state, for logs. */
    @Override
    public String toString() {
        return "Channel[" + handle() + ", " + size() + (shared.capacity() == 0 ? " queued, unbounded"
                : " of " + shared.capacity() + " queued") + (isClosed() ? ", closed]" : "]");
    }

    /**
     * Thrown by a send to a closed channel, and by a receive from a closed channel that every value has left: the
     * end of the stream, not a fault.
     */
    public static final class ClosedException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        ClosedException(String message) {
            super(message);
        }
    }
}
