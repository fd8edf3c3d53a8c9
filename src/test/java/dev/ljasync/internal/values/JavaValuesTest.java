package dev.ljasync.internal.values;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class JavaValuesTest {

    @ParameterizedTest
    @ValueSource(doubles = {0, 1, -1, 42, 0x1p53, -0x1p53, 0x1p62, -0x1p63})
    void shouldTurnIntegralNumbersInLongRangeIntoLongs(double d) {
        assertEquals((long) d, JavaValues.number(d));
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.5, -0.0, 0x1p63, 1e300, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
    void shouldKeepOtherNumbersAsDoubles(double d) {
        assertEquals(d, JavaValues.number(d));
    }
}
