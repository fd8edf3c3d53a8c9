# Sourced by scripts/demo, scripts/test and scripts/bench: finds a JDK >= 22 and Maven, installs LuaJIT when it is
# missing, and moves to the project root. Needs bash.

LJASYNC_MIN_JAVA=22
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

# The major version of the JDK at $1 (0 when it is not a JDK with javac).
ljasync_jdk_major() {
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || { echo 0; return; }
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

ljasync_find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ "$(ljasync_jdk_major "$JAVA_HOME")" -ge "$LJASYNC_MIN_JAVA" ] 2>/dev/null; then
    return 0
  fi
  local best="" best_major=0 dir major
  for dir in /usr/lib/jvm/* /opt/java/* /opt/jdk* /usr/local/jdk* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [ -d "$dir" ] || continue
    major=$(ljasync_jdk_major "$dir")
    if [ "${major:-0}" -ge "$LJASYNC_MIN_JAVA" ] 2>/dev/null && [ "$major" -gt "$best_major" ]; then
      best=$dir best_major=$major
    fi
  done
  if [ -z "$best" ]; then
    echo "lj-async needs a JDK $LJASYNC_MIN_JAVA or newer (found none in JAVA_HOME or /usr/lib/jvm, /opt)." >&2
    echo "Install one (for example Temurin 25) and set JAVA_HOME to it." >&2
    return 1
  fi
  [ -n "${JAVA_HOME:-}" ] && echo "JAVA_HOME=$JAVA_HOME is older than $LJASYNC_MIN_JAVA; using $best" >&2
  export JAVA_HOME=$best
}

# Installs Debian packages when running as root; otherwise says what to run.
ljasync_apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing: $*. Install it as root: apt-get install $*" >&2
    return 1
  fi
  echo "Installing $* with apt-get" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ljasync_have_luajit() {
  [ -n "${LJASYNC_LUAJIT_LIBRARY:-}" ] && [ -f "$LJASYNC_LUAJIT_LIBRARY" ] && return 0
  ldconfig -p 2>/dev/null | grep -q 'libluajit-5\.1\.so\.2 ' && return 0
  ls /usr/lib/*/libluajit-5.1.so.2 /usr/lib/libluajit-5.1.so.2 /usr/local/lib/libluajit-5.1.so.2 >/dev/null 2>&1
}

ljasync_setup() {
  ljasync_have_luajit || ljasync_apt_install libluajit-5.1-2 || return 1
  command -v mvn >/dev/null 2>&1 || ljasync_apt_install maven || return 1
  ljasync_find_jdk || return 1
  export PATH="$JAVA_HOME/bin:$PATH"
  # Maven's own libraries use sun.misc.Unsafe, which JDK 24+ warns about on every run
  [ "$(ljasync_jdk_major "$JAVA_HOME")" -ge 24 ] && export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
  echo "lj-async: JDK $(ljasync_jdk_major "$JAVA_HOME") at $JAVA_HOME" >&2
}
