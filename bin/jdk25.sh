# Sourced by bin/qwen2vl4j, bin/test and .ci/run: sets JAVA_HOME to a JDK 25 or newer.
# Order: $JAVA_HOME if it is 25+, else the newest 25+ JDK under /usr/lib/jvm, else a clear error.
qwen_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}
qwen_find_jdk25() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    local v; v=$(qwen_java_major "$JAVA_HOME")
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then return 0; fi
  fi
  local best="" bestv=0 d v
  for d in /usr/lib/jvm/*; do
    [ -x "$d/bin/java" ] && [ -x "$d/bin/javac" ] || continue
    v=$(qwen_java_major "$d")
    if [ -n "$v" ] && [ "$v" -ge 25 ] && [ "$v" -gt "$bestv" ]; then best=$d; bestv=$v; fi
  done
  if [ -z "$best" ]; then
    echo "qwen2vl4j: needs JDK 25 or newer: JAVA_HOME is not one and none was found under /usr/lib/jvm (install e.g. temurin-25-jdk)" >&2
    return 1
  fi
  export JAVA_HOME=$best
}
qwen_find_jdk25 || exit 1
export PATH="$JAVA_HOME/bin:$PATH"
