/*
 * Native baselines for the JMH benchmarks (src/jmh/java), built by scripts/bench against the same LuaJIT as the
 * library. Each is what a C program would do without lj-async; the benchmarks call them through plain downcalls.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

/* The native caller of the round-trip benchmarks: calls f(i) n times, as an event loop or qsort would. */
int64_t ljb_call_loop(int (*f)(int), int n) {
    int64_t sum = 0;
    for (int i = 0; i < n; i++) {
        sum += f(i);
    }
    return sum;
}

/* The native caller of the queued benchmarks: calls f(i) n times, as a driver thread hands on its events. */
void ljb_void_loop(void (*f)(int), int n) {
    for (int i = 0; i < n; i++) {
        f(i);
    }
}

/* One native thread of ljb_call_threads (or ljb_void_threads, with g): calls f(i) n times and keeps the sum. */
struct caller {
    pthread_t thread;
    int (*f)(int);
    void (*g)(int);
    int n;
    int64_t sum;
};

static void *caller_main(void *arg) {
    struct caller *c = arg;
    if (c->g != NULL) {
        ljb_void_loop(c->g, c->n);
    } else {
        c->sum = ljb_call_loop(c->f, c->n);
    }
    return NULL;
}

#define LJB_MAX_CALLERS 64

/*
 * The native callers of the parallel benchmarks: k new pthreads, each calling f(i) (or g(i)) n times, all joined;
 * the sum of the results, or -1 if k is out of range or a thread could not start (the threads that did start are
 * joined).
 */
static int64_t run_callers(int (*f)(int), void (*g)(int), int k, int n) {
    struct caller callers[LJB_MAX_CALLERS];
    if (k < 1 || k > LJB_MAX_CALLERS) return -1;
    int started = 0;
    for (; started < k; started++) {
        callers[started] = (struct caller) { .f = f, .g = g, .n = n, .sum = 0 };
        if (pthread_create(&callers[started].thread, NULL, caller_main, &callers[started]) != 0) break;
    }
    int64_t sum = started == k ? 0 : -1;
    for (int i = 0; i < started; i++) {
        pthread_join(callers[i].thread, NULL);
        if (sum >= 0) sum += callers[i].sum;
    }
    return sum;
}

int64_t ljb_call_threads(int (*f)(int), int k, int n) {
    return run_callers(f, NULL, k, n);
}

/* The native producers of the queued benchmarks: as ljb_call_threads, for f of no result; 0, or -1 on an error. */
int64_t ljb_void_threads(void (*f)(int), int k, int n) {
    return run_callers(NULL, f, k, n);
}

/* A state whose global `f` is the function the chunk returns; NULL (after closing it) if the chunk fails. */
static lua_State *state_with(const char *chunk) {
    lua_State *L = luaL_newstate();
    if (L == NULL) return NULL;
    luaL_openlibs(L);
    if (luaL_loadbuffer(L, chunk, strlen(chunk), "baseline") != 0 || lua_pcall(L, 0, 1, 0) != 0) {
        lua_close(L);
        return NULL;
    }
    lua_setglobal(L, "f");
    return L;
}

/* The Lua floor: C calling the Lua function f with lua_pcall, n times. */
lua_State *ljb_pcall_open(const char *chunk) {
    return state_with(chunk);
}

int64_t ljb_pcall_loop(lua_State *L, int n) {
    int64_t sum = 0;
    for (int i = 0; i < n; i++) {
        lua_getglobal(L, "f");
        lua_pushinteger(L, i);
        if (lua_pcall(L, 1, 1, 0) != 0) return -1;
        sum += lua_tointeger(L, -1);
        lua_pop(L, 1);
    }
    return sum;
}

/*
 * LuaJIT's own FFI callback, as lj-async made them: the chunk's function becomes an `int (*)(int)` with ffi.cast,
 * and ljb_call_loop is called through the FFI from Lua in that same state. That is how LuaJIT documents callbacks:
 * called from plain C with no Lua frame below (LuaJIT issue 1498), a callback does not set the VM's current
 * thread and may crash when one of its traces exits.
 */
static const char *FFI_DRIVER =
    "local ffi = require('ffi')\n"
    "ffi.cdef('int64_t ljb_call_loop(int (*f)(int), int n);')\n"
    "local lib = ffi.load(...)\n"
    "local cb = ffi.cast('int (*)(int)', f)\n"
    "return function(n) return tonumber(lib.ljb_call_loop(cb, n)) end\n";

lua_State *ljb_ffi_open(const char *chunk, const char *self_path) {
    lua_State *L = state_with(chunk);
    if (L == NULL) return NULL;
    if (luaL_loadbuffer(L, FFI_DRIVER, strlen(FFI_DRIVER), "ffi-driver") != 0) goto fail;
    lua_pushstring(L, self_path);
    if (lua_pcall(L, 1, 1, 0) != 0) goto fail;
    lua_setglobal(L, "run");
    return L;
fail:
    lua_close(L);
    return NULL;
}

int64_t ljb_ffi_loop(lua_State *L, int n) {
    lua_getglobal(L, "run");
    lua_pushinteger(L, n);
    if (lua_pcall(L, 1, 1, 0) != 0) return -1;
    int64_t sum = (int64_t) lua_tonumber(L, -1);
    lua_pop(L, 1);
    return sum;
}

/* One native thread of ljb_pcall_threads: its own state, lua_pcall n times. */
struct pcaller {
    pthread_t thread;
    lua_State *L;
    int n;
    int64_t sum;
};

static void *pcaller_main(void *arg) {
    struct pcaller *c = arg;
    c->sum = ljb_pcall_loop(c->L, c->n);
    return NULL;
}

/*
 * The scaling floor of the parallel benchmarks: k new pthreads, thread i calling f with lua_pcall n times in
 * states[i] (one state each, so nothing is shared but the machine), all joined; the sum, or -1 on an error.
 */
int64_t ljb_pcall_threads(lua_State **states, int k, int n) {
    struct pcaller callers[LJB_MAX_CALLERS];
    if (k < 1 || k > LJB_MAX_CALLERS) return -1;
    int started = 0;
    for (; started < k; started++) {
        callers[started] = (struct pcaller) { .L = states[started], .n = n, .sum = 0 };
        if (pthread_create(&callers[started].thread, NULL, pcaller_main, &callers[started]) != 0) break;
    }
    int64_t sum = started == k ? 0 : -1;
    for (int i = 0; i < started; i++) {
        pthread_join(callers[i].thread, NULL);
        if (sum >= 0 && callers[i].sum >= 0) sum += callers[i].sum; else sum = -1;
    }
    return sum;
}

void ljb_close(lua_State *L) {
    lua_close(L);
}

/* Creating a callback, in C: a new state, the standard libraries, the chunk loaded and run, closed again. */
int ljb_create_close(const char *chunk) {
    lua_State *L = state_with(chunk);
    if (L == NULL) return -1;
    lua_close(L);
    return 0;
}

/*
 * The body of ljb_thread_run's thread, as lj-async's threads (and LuaThread) run: a state of its own runs the chunk,
 * which returns the thread function, called with a userdata pointer (NULL here); its integer result, -1 on error.
 */
struct lua_thread {
    const char *chunk;
    int64_t result;
};

static void *lua_thread_main(void *arg) {
    struct lua_thread *t = arg;
    t->result = -1;
    lua_State *L = luaL_newstate();
    if (L == NULL) return NULL;
    luaL_openlibs(L);
    if (luaL_loadbuffer(L, t->chunk, strlen(t->chunk), "thread") == 0 && lua_pcall(L, 0, 1, 0) == 0) {
        lua_pushlightuserdata(L, NULL);
        if (lua_pcall(L, 1, 1, 0) == 0) t->result = lua_tointeger(L, -1);
    }
    lua_close(L);
    return NULL;
}

/*
 * Starting a thread that runs Lua, in C: pthread_create, then in the new thread luaL_newstate + luaL_openlibs +
 * loading and running the chunk and the function it returns + lua_close, then pthread_join. The function's
 * integer result, -1 on error.
 */
int64_t ljb_thread_run(const char *chunk) {
    struct lua_thread t = { .chunk = chunk, .result = -1 };
    pthread_t thread;
    if (pthread_create(&thread, NULL, lua_thread_main, &t) != 0) return -1;
    pthread_join(thread, NULL);
    return t.result;
}

/*
 * The channel floor: what a C program would write for a bounded channel between two pthreads, a ring of `capacity`
 * fixed-size slots behind one mutex and two condition variables (as ArrayBlockingQueue and lj-async's channel
 * have). A producer pthread copies the given encoded messages into the ring in turn, without pause, until the
 * channel is closed; the thread that calls ljb_channel_receive copies them out and decodes them.
 */
struct ljb_channel {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    unsigned char *slots;       /* capacity slots of slot_size bytes */
    uint32_t *lengths;          /* each slot's message length */
    int capacity, slot_size, head, count, closed;
    const unsigned char *messages; /* the producer's messages, one after another */
    const int32_t *offsets;        /* message i is messages[offsets[i] .. offsets[i + 1]) */
    int message_count;
    pthread_t producer;
};

static void *channel_producer(void *arg) {
    struct ljb_channel *ch = arg;
    for (int64_t i = 0; ; i++) {
        int m = (int) (i % ch->message_count);
        uint32_t length = (uint32_t) (ch->offsets[m + 1] - ch->offsets[m]);
        pthread_mutex_lock(&ch->lock);
        while (ch->count == ch->capacity && !ch->closed) pthread_cond_wait(&ch->not_full, &ch->lock);
        if (ch->closed) {
            pthread_mutex_unlock(&ch->lock);
            return NULL;
        }
        int slot = (ch->head + ch->count) % ch->capacity;
        memcpy(ch->slots + (size_t) slot * ch->slot_size, ch->messages + ch->offsets[m], length);
        ch->lengths[slot] = length;
        ch->count++;
        pthread_cond_signal(&ch->not_empty);
        pthread_mutex_unlock(&ch->lock);
    }
}

/*
 * A channel of `capacity` slots and its producer, which sends the `count` messages (their bytes back to back, message
 * i from offsets[i] to offsets[i + 1]) over and over; the arrays must outlive the channel. NULL on an error.
 */
struct ljb_channel *ljb_channel_open(const unsigned char *messages, const int32_t *offsets, int count, int capacity) {
    if (count < 1 || capacity < 1) return NULL;
    int slot_size = 0;
    for (int i = 0; i < count; i++) {
        int length = offsets[i + 1] - offsets[i];
        if (length < 1) return NULL;
        if (length > slot_size) slot_size = length;
    }
    struct ljb_channel *ch = calloc(1, sizeof *ch);
    if (ch == NULL) return NULL;
    ch->slots = malloc((size_t) capacity * slot_size);
    ch->lengths = malloc((size_t) capacity * sizeof *ch->lengths);
    if (ch->slots == NULL || ch->lengths == NULL) goto fail;
    ch->capacity = capacity;
    ch->slot_size = slot_size;
    ch->messages = messages;
    ch->offsets = offsets;
    ch->message_count = count;
    pthread_mutex_init(&ch->lock, NULL);
    pthread_cond_init(&ch->not_empty, NULL);
    pthread_cond_init(&ch->not_full, NULL);
    if (pthread_create(&ch->producer, NULL, channel_producer, ch) != 0) goto fail;
    return ch;
fail:
    free(ch->slots);
    free(ch->lengths);
    free(ch);
    return NULL;
}

/*
 * Receives n messages, each copied out of its slot and decoded as lj-async's message encoding of a number (tag 3,
 * then the 8 bytes of a double): the sum of their values, or -1 if one is not such a message.
 */
int64_t ljb_channel_receive(struct ljb_channel *ch, int n) {
    unsigned char message[64];
    if (ch->slot_size > (int) sizeof message) return -1;
    int64_t sum = 0;
    for (int i = 0; i < n; i++) {
        pthread_mutex_lock(&ch->lock);
        while (ch->count == 0) pthread_cond_wait(&ch->not_empty, &ch->lock);
        uint32_t length = ch->lengths[ch->head];
        memcpy(message, ch->slots + (size_t) ch->head * ch->slot_size, length);
        ch->head = (ch->head + 1) % ch->capacity;
        ch->count--;
        pthread_cond_signal(&ch->not_full);
        pthread_mutex_unlock(&ch->lock);
        double value;
        if (length != 1 + sizeof value || message[0] != 3) return -1;
        memcpy(&value, message + 1, sizeof value);
        sum += (int64_t) value;
    }
    return sum;
}

/* Closes the channel: the producer stops and is joined, and everything is freed. */
void ljb_channel_close(struct ljb_channel *ch) {
    pthread_mutex_lock(&ch->lock);
    ch->closed = 1;
    pthread_cond_broadcast(&ch->not_full);
    pthread_mutex_unlock(&ch->lock);
    pthread_join(ch->producer, NULL);
    pthread_mutex_destroy(&ch->lock);
    pthread_cond_destroy(&ch->not_empty);
    pthread_cond_destroy(&ch->not_full);
    free(ch->slots);
    free(ch->lengths);
    free(ch);
}

/*
 * The memory floor: n states with the standard libraries (luaL_newstate + luaL_openlibs), each then running the
 * chunk unless it is NULL, kept in states[]; the number opened (less than n when one failed: those opened are kept).
 */
int ljb_states_open(lua_State **states, int n, const char *chunk) {
    for (int i = 0; i < n; i++) {
        lua_State *L = luaL_newstate();
        if (L == NULL) return i;
        luaL_openlibs(L);
        if (chunk != NULL && (luaL_loadbuffer(L, chunk, strlen(chunk), "floor") != 0 || lua_pcall(L, 0, 0, 0) != 0)) {
            lua_close(L);
            return i;
        }
        states[i] = L;
    }
    return n;
}

void ljb_states_close(lua_State **states, int n) {
    for (int i = 0; i < n; i++) lua_close(states[i]);
}
