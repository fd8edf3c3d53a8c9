package dev.ljasync.internal.lua;

import java.util.Arrays;

/**
 * Values kept under numbers until removed, for Lua code to name Java objects by (a registered Java function's
 * closure holds its number). A removed value's slot is used again, under a new number: a stale number finds
 * nothing, never another value. Numbers stay below 2^53, exact as Lua numbers. Not thread-safe.
 */
public final class SlotTable<T> {

    private static final int INDEX_BITS = 24;
    private static final long INDEX_MASK = (1L << INDEX_BITS) - 1;
    // a slot whose generation reaches this is retired rather than used again, so numbers never repeat
    private static final int LAST_GENERATION = (1 << 29) - 1;

    private Object[] values = new Object[8];
    private int[] generations = new int[8];
    private int[] free = new int[8];
    private int freeCount;
    private int used;
    private int retired;

    /**
     * Keeps {@code value} and returns its number.
     *
     * @throws IllegalStateException when 2^24 values are kept at once
     */
    public long add(T value) {
        int index;
        if (freeCount > 0) {
            index = free[--freeCount];
        } else {
            if (used > INDEX_MASK) {
                throw new IllegalStateException("more than " + INDEX_MASK + " values are kept at once");
            }
            if (used == values.length) {
                values = Arrays.copyOf(values, used * 2);
                generations = Arrays.copyOf(generations, used * 2);
            }
            index = used++;
        }
        values[index] = value;
        return (long) generations[index] << INDEX_BITS | index;
    }

    /** The value kept under {@code number}, or null when it was removed or never given out. */
    @SuppressWarnings("unchecked")
    public T get(long number) {
        long index = number & INDEX_MASK;
        if (number < 0 || index >= used || generations[(int) index] != number >>> INDEX_BITS) {
            return null;
        }
        return (T) values[(int) index];
    }

    /** Lets go of the value under {@code number}; does nothing when there is none. */
    public void remove(long number) {
        if (get(number) == null) {
            return;
        }
        int index = (int) (number & INDEX_MASK);
        values[index] = null;
        if (generations[index] < LAST_GENERATION) {
            generations[index]++;
            if (freeCount == free.length) {
                free = Arrays.copyOf(free, freeCount * 2);
            }
            free[freeCount++] = index;
        } else {
            retired++;
        }
    }

    /** How many values are kept now. */
    public int size() {
        return used - freeCount - retired;
    }
}
