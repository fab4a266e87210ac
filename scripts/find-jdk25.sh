# Sourced by ./hearth and .ci/run: sets JAVA_HOME to a JDK 25 or newer, or explains what to install.
# Order: $JAVA_HOME if it is 25+, then the usual install dirs, then `java` on the PATH.
hearth_java_major() {
  # prints the feature version of the java binary given as $1 (e.g. 25), or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

hearth_find_jdk25() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/*25* /usr/lib/jvm/*-2[5-9]* /usr/lib/jvm/* \
                   /opt/java/* /opt/jdk* /usr/local/lib/jvm/* "$HOME"/.sdkman/candidates/java/* \
                   /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(hearth_java_major "$candidate/bin/java")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  if command -v javac >/dev/null 2>&1; then
    candidate=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    major=$(hearth_java_major "$candidate/bin/java")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  fi
  cat >&2 <<'MSG'
hearth: no JDK 25 found. Hearth needs Java 25 or newer (Vector API and FFM).
  Looked at: $JAVA_HOME, /usr/lib/jvm/*, /opt/java/*, /opt/jdk*, ~/.sdkman/candidates/java/*, and javac on the PATH.
  Install one, for example:
    Debian/Ubuntu:  apt-get install temurin-25-jdk   (Adoptium repository)  or  openjdk-25-jdk
    SDKMAN:         sdk install java 25-tem
  or point JAVA_HOME at an existing JDK 25:  export JAVA_HOME=/path/to/jdk-25
MSG
  return 1
}
