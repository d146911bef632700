#!/usr/bin/env bash
# The Java package as a user gets it. In a fresh temporary folder:
#   1. `mvn install` of a copy of bindings/java into a private local repository;
#   2. the jar carries libfaissx and the JNI library for this platform, linked to find each other
#      and nothing in the build tree;
#   3. a separate Maven project depending on io.faissx:faissx:<version> runs a search with plain
#      `java -cp` (no -D flag, no LD_LIBRARY_PATH): the libraries come out of the jar, into a
#      temporary folder gone once they are loaded;
#   4. the same program, unchanged, with FAISSX_SERVER naming a faissx-server on a loopback port;
#   5. a system install on java.library.path takes precedence over the jar's copies.
# The consumer's environment, working folder and class path name nothing in the checkout.
#
# Usage: tests/install/java.sh [PREFIX]
#   PREFIX: an installed faissx (PREFIX/lib/libfaissx.so, PREFIX/include/faissx_c.h,
#   PREFIX/bin/faissx-server): the jar then packages that libfaissx. Without it (or where it lacks
#   those files), the checkout's own, after `cargo build --release`.
# The local repository is seeded from ~/.m2/repository, and the plugins fetched from Maven Central
# for the run are copied back there (never io.faissx), so later runs need no network.
# Prints a closing `java-install: N passed, M failed` line; exits non-zero on any failure.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
binding="$root/bindings/java"
prefix="${1:-}"

lib_dir="$root/target/release"
include_dir="$root/include"
server="$root/target/release/faissx-server"
if [ -n "$prefix" ]; then
  for dir in "$prefix/lib" "$prefix/lib64"; do
    if [ -e "$dir/libfaissx.so" ] && [ -f "$prefix/include/faissx_c.h" ]; then
      lib_dir="$dir"
      include_dir="$prefix/include"
      break
    fi
  done
  if [ -x "$prefix/bin/faissx-server" ]; then
    server="$prefix/bin/faissx-server"
  fi
fi
if [ ! -e "$lib_dir/libfaissx.so" ]; then
  echo "java.sh: $lib_dir/libfaissx.so is missing: run 'cargo build --release' at $root" >&2
  exit 1
fi
if ! command -v mvn >/dev/null || ! command -v javac >/dev/null; then
  apt-get update -qq && apt-get install -y -qq openjdk-17-jdk-headless maven >/dev/null
fi
java_home="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
version="$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' "$binding/pom.xml" | head -n1)"

work="$(mktemp -d "${TMPDIR:-/tmp}/faissx-java-install.XXXXXX")"
m2="$work/m2"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  # Keep what Maven fetched (plugins), never the faissx built here.
  if [ -d "$m2" ]; then
    rm -rf "$m2/io/faissx"
    mkdir -p "$HOME/.m2/repository"
    cp -a -n "$m2/." "$HOME/.m2/repository/" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Maven 3.8 prints colour resets even in batch mode; the log stays plain text without them.
plain() { "$@" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'; }

passed=0
failed=0
pass() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1" >&2; failed=$((failed + 1)); }
finish() {
  echo "java-install: $passed passed, $failed failed"
  if [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]; then
    exit 0
  fi
  exit 1
}

mkdir -p "$m2" "$work/home"
if [ -d "$HOME/.m2/repository" ]; then
  cp -a "$HOME/.m2/repository/." "$m2/"
fi
rm -rf "$m2/io/faissx" # an earlier install must not stand in for this one

# --- 1. mvn install of a copy (its build tree is the copy's; the checkout stays untouched) -------
mkdir -p "$work/binding"
cp -a "$binding/pom.xml" "$binding/build-native.sh" "$binding/src" "$work/binding/"
# The binding's own suite is bindings/java/run_tests.sh; here only what the install produces.
if (cd "$work/binding" && plain mvn -B -q -Dmaven.repo.local="$m2" -DskipTests \
      -Dfaissx.root="$root" -Dfaissx.lib.dir="$lib_dir" -Dfaissx.include.dir="$include_dir" install); then
  pass "mvn install io.faissx:faissx:$version (libfaissx from $lib_dir)"
else
  fail "mvn install of the binding"
  finish
fi
jar="$m2/io/faissx/faissx/$version/faissx-$version.jar"
if [ ! -f "$jar" ]; then
  fail "$jar is not in the local repository"
  finish
fi

# --- 2. what the jar carries --------------------------------------------------------------------
natives="META-INF/native/linux-x86_64"
mkdir -p "$work/jar"
(cd "$work/jar" && "$java_home/bin/jar" xf "$jar" "$natives")
list="$work/jar/$natives/libraries"
jni="$work/jar/$natives/libfaissx_jni.so"
if [ -f "$list" ] && [ -f "$jni" ]; then
  libfaissx_name="$(head -n1 "$list")"
  needed="$(readelf -d "$jni" | sed -n 's/.*(NEEDED).*\[\(libfaissx[^]]*\)\]$/\1/p')"
  runpath="$(readelf -d "$jni" | sed -n 's/.*(R\(UN\)\{0,1\}PATH).*\[\(.*\)\]$/\2/p')"
  faissx_paths="$(readelf -d "$work/jar/$natives/$libfaissx_name" | grep -E '\((RPATH|RUNPATH)\)' || true)"
  if [ "$(tail -n1 "$list")" = libfaissx_jni.so ] && [ -f "$work/jar/$natives/$libfaissx_name" ] &&
     [ "$needed" = "$libfaissx_name" ] && [ "$runpath" = '$ORIGIN' ] && [ -z "$faissx_paths" ]; then
    pass "jar carries $natives/{$libfaissx_name, libfaissx_jni.so}; the JNI library needs $needed, RUNPATH \$ORIGIN"
  else
    fail "jar natives: list [$(tr '\n' ' ' <"$list")], NEEDED '$needed', RUNPATH '$runpath', libfaissx paths '$faissx_paths'"
  fi
else
  fail "jar lacks $natives/libraries or libfaissx_jni.so"
fi

# --- 3. the consumer project --------------------------------------------------------------------
consumer="$work/consumer"
mkdir -p "$consumer/src/main/java/demo"
cat >"$consumer/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>demo</groupId>
  <artifactId>faissx-consumer</artifactId>
  <version>1.0</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
    <dependency>
      <groupId>io.faissx</groupId>
      <artifactId>faissx</artifactId>
      <version>$version</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-resources-plugin</artifactId>
        <version>3.3.1</version>
      </plugin>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-compiler-plugin</artifactId>
        <version>3.13.0</version>
      </plugin>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>3.8.1</version>
      </plugin>
    </plugins>
  </build>
</project>
EOF
cat >"$consumer/src/main/java/demo/Search.java" <<'EOF'
package demo;

import io.faissx.Index;
import io.faissx.IndexFlatL2;
import io.faissx.SearchResult;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Random;

/** Searches a flat index and checks every answer against brute force; then names the libfaissx files it runs on. */
public final class Search {
    public static void main(String[] args) throws Exception {
        int d = 16, n = 3000, nq = 25, k = 5;
        Random random = new Random(11);
        float[] xb = new float[n * d];
        for (int i = 0; i < xb.length; i++) {
            xb[i] = random.nextFloat();
        }
        float[] xq = new float[nq * d];
        for (int i = 0; i < xq.length; i++) {
            xq[i] = random.nextFloat();
        }

        boolean remote = System.getenv("FAISSX_SERVER") != null;
        try (Index index = new IndexFlatL2(d)) {
            if (index.isRemote() != remote) {
                throw new AssertionError("isRemote() is " + index.isRemote() + " with FAISSX_SERVER "
                        + System.getenv("FAISSX_SERVER"));
            }
            index.add(xb);
            if (index.ntotal() != n) {
                throw new AssertionError("ntotal " + index.ntotal() + ", expected " + n);
            }
            SearchResult r = index.search(xq, k);
            for (int q = 0; q < nq; q++) {
                double[] dist = new double[n];
                Integer[] order = new Integer[n];
                for (int i = 0; i < n; i++) {
                    double s = 0;
                    for (int j = 0; j < d; j++) {
                        double diff = xq[q * d + j] - xb[i * d + j];
                        s += diff * diff;
                    }
                    dist[i] = s;
                    order[i] = i;
                }
                Arrays.sort(order, (a, b) -> Double.compare(dist[a], dist[b]));
                for (int rank = 0; rank < k; rank++) {
                    long label = r.labels[q * k + rank];
                    float distance = r.distances[q * k + rank];
                    if (label != order[rank] || Math.abs(distance - dist[order[rank]]) > 1e-4) {
                        throw new AssertionError("query " + q + " rank " + rank + ": got " + label + " at "
                                + distance + ", brute force " + order[rank] + " at " + dist[order[rank]]);
                    }
                }
            }
        }
        System.out.println("searched " + (remote ? "remote" : "local") + ": " + nq + " queries, k=" + k
                + ", all answers equal brute force");
        Files.readAllLines(Paths.get("/proc/self/maps")).stream()
                .filter(line -> line.contains("/libfaissx"))
                .map(line -> line.substring(line.indexOf('/')))
                .distinct()
                .forEach(file -> System.out.println("mapped " + file));
    }
}
EOF

# Only system folders and the JDK's: nothing of the checkout, no LD_LIBRARY_PATH, no FAISSX_*.
clean_path="/usr/local/bin:/usr/bin:/bin"
for tool in java mvn; do
  clean_path="$clean_path:$(dirname "$(command -v "$tool")")"
done
consumer_env=(env -i "PATH=$clean_path" "HOME=$work/home" "LANG=C.UTF-8" "JAVA_HOME=$java_home")
case ":$clean_path:$work:" in
  *":$root"*) fail "the consumer's PATH would reach into $root"; finish ;;
esac

if (cd "$consumer" && plain "${consumer_env[@]}" mvn -B -q -Dmaven.repo.local="$m2" compile \
      dependency:build-classpath -Dmdep.outputFile="$work/classpath.txt"); then
  pass "consumer project builds against io.faissx:faissx:$version"
else
  fail "consumer project build"
  finish
fi
classpath="$consumer/target/classes:$(cat "$work/classpath.txt")"
case "$classpath" in
  *"$root"*) fail "the consumer's class path reaches into $root: $classpath"; finish ;;
esac
if [ "$(cat "$work/classpath.txt")" != "$jar" ]; then
  fail "the consumer's dependencies are '$(cat "$work/classpath.txt")', expected only $jar"
fi

# Runs the consumer with plain `java -cp`; $@: extra environment, then extra java options.
run_consumer() {
  local out="$1"
  shift
  (cd "$consumer" && "${consumer_env[@]}" "$@" demo.Search) >"$out" 2>&1
}

# Checks that libfaissx and libfaissx_jni.so were both mapped from one folder ($2: extracted to a
# java.io.tmpdir folder now deleted, or a given folder); prints that folder.
mapped_folder() {
  local out="$1" expect="$2" jni_file faissx_file folder
  jni_file="$(sed -n 's:^mapped \(.*/libfaissx_jni\.so\)\( (deleted)\)\{0,1\}$:\1:p' "$out")"
  faissx_file="$(sed -n 's:^mapped \(.*/libfaissx\.so[^/]*\)$:\1:p' "$out" | sed 's/ (deleted)$//')"
  folder="$(dirname "$jni_file")"
  if [ -z "$jni_file" ] || [ "$(dirname "$faissx_file")" != "$folder" ] || [ "$(wc -l <<<"$faissx_file")" -ne 1 ]; then
    return 1
  fi
  case "$expect" in
    extracted) [[ "$folder" == /tmp/faissx-native-* ]] && [ ! -e "$folder" ] ;;
    *) [ "$folder" = "$expect" ] && [ -e "$jni_file" ] ;;
  esac
}

log="$work/local.out"
if run_consumer "$log" java -cp "$classpath" && grep -q '^searched local: .*equal brute force$' "$log" &&
   mapped_folder "$log" extracted && ! grep -q "$root" "$log"; then
  pass "local search, natives extracted from the jar and removed: $(sed -n 's/^mapped //p' "$log" | tr '\n' ' ')"
else
  fail "local search from the consumer:"
  sed 's/^/    /' "$log" >&2
fi

# --- 4. remote: the same program, FAISSX_SERVER set ---------------------------------------------
if [ -x "$server" ]; then
  server_log="$work/server.log"
  (cd "$work" && exec env -u FAISSX_SERVER "$server" --bind-address 127.0.0.1 --port 0 --log-level warn) \
    >"$server_log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    grep -q '^listening on ' "$server_log" && break
    sleep 0.1
  done
  address="$(sed -n 's/^listening on //p' "$server_log")"
  log="$work/remote.out"
  if [ -n "$address" ] && run_consumer "$log" "FAISSX_SERVER=$address" java -cp "$classpath" &&
     grep -q '^searched remote: .*equal brute force$' "$log" && mapped_folder "$log" extracted; then
    pass "remote search against faissx-server at $address"
  else
    fail "remote search (server at '${address:-none}'):"
    sed 's/^/    /' "$log" "$server_log" >&2 || true
  fi
else
  fail "remote search: $server is missing"
fi

# --- 5. a system install on java.library.path comes first --------------------------------------
system_lib="$work/system-lib"
mkdir -p "$system_lib"
cp "$work/jar/$natives/"libfaissx* "$system_lib/"
log="$work/system.out"
if run_consumer "$log" java -Djava.library.path="$system_lib" -cp "$classpath" &&
   grep -q '^searched local: ' "$log" && mapped_folder "$log" "$system_lib"; then
  pass "a libfaissx_jni.so on java.library.path is loaded instead of the jar's copy"
else
  fail "java.library.path precedence:"
  sed 's/^/    /' "$log" >&2
fi

finish
