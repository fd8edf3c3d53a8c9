/**
 * The library's Java Flight Recorder events, all in the category "lj-async": failed and refused callback calls,
 * calls that waited for a state, queue overflows, threads starting, ending and being cancelled, and channel waits.
 * Each class commits its event only on a slow path (an error, a refusal, a wait, a thread's start or end), and only
 * when a recording has the event enabled; nothing here runs on a call that neither fails nor waits.
 */
package dev.ljasync.internal.events;
