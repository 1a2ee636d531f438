# Shared helpers for the deploy/local service scripts (sourced, not run).
# shellcheck shell=bash

GKSS_LOCAL_DIR="${GKSS_LOCAL_DIR:-$HOME/.gkss-local}"
# shellcheck disable=SC2034  # used by the scripts that source this file
LOCAL_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

log() { printf '%s: %s\n' "${SCRIPT_NAME:-gkss-local}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${SCRIPT_NAME:-gkss-local}" "$*" >&2; exit 1; }

# is_int VALUE
is_int() { [[ "$1" =~ ^[0-9]+$ ]]; }

# check_port VALUE: dies unless VALUE is a TCP port number.
check_port() {
  is_int "$1" && (( $1 >= 1 && $1 <= 65535 )) || die "invalid port: '$1'"
}

# port_in_use PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# pid_matches PID PATTERN: true when PID is alive and its command line contains PATTERN.
pid_matches() {
  local pid="$1" pattern="$2" cmdline
  is_int "$pid" || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmdline" == *"$pattern"* ]]
}

# read_pid FILE: prints the pid stored in FILE (first line), or nothing.
read_pid() {
  [[ -r "$1" ]] && head -n1 "$1" 2>/dev/null | tr -dc '0-9' || true
}

# wait_exit PID TIMEOUT_SECONDS: true once PID is gone, false on timeout.
wait_exit() {
  local pid="$1" deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2>/dev/null; do
    # a zombie child of ours counts as gone
    [[ "$(awk '/^State:/{print $2}' "/proc/$pid/status" 2>/dev/null)" == Z ]] && return 0
    (( SECONDS >= deadline )) && return 1
    sleep 0.2
  done
}

# stop_pid PID NAME [TIMEOUT]: SIGTERM, wait, then SIGKILL.
stop_pid() {
  local pid="$1" name="$2" timeout="${3:-30}"
  kill -TERM "$pid" 2>/dev/null || return 0
  if ! wait_exit "$pid" "$timeout"; then
    log "$name (pid $pid) did not stop within ${timeout}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_exit "$pid" 10 || die "could not stop $name (pid $pid)"
  fi
}

# ensure_command CMD APT_PACKAGE: installs APT_PACKAGE when CMD is missing and we are root.
ensure_command() {
  local cmd="$1" pkg="$2"
  command -v "$cmd" >/dev/null 2>&1 && return 0
  if [[ "$(id -u)" -ne 0 ]]; then
    die "'$cmd' not found; install the Debian package '$pkg' (sudo apt-get install -y $pkg) or run deploy/local/install as root"
  fi
  log "'$cmd' not found; installing Debian package '$pkg'"
  apt_install "$pkg"
  command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' still missing after installing '$pkg'"
}

# apt_install PKG...: apt-get install without starting system services.
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends "$@" >/dev/null 2>&1; then
    apt-get update -q >/dev/null 2>&1 || die "apt-get update failed"
    apt-get install -y -q --no-install-recommends "$@" >&2 || die "apt-get install $* failed"
  fi
}

# usage_error MESSAGE: prints MESSAGE and the script's usage, exits 2.
usage_error() {
  printf '%s: %s\n' "${SCRIPT_NAME:-gkss-local}" "$1" >&2
  usage >&2
  exit 2
}

# java_feature JAVA_HOME: prints the Java feature version (17, 21, 25, ...) of a JDK.
java_feature() {
  local home="$1" v=""
  if [[ -r "$home/release" ]]; then
    v="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")"
  fi
  if [[ -z "$v" && -x "$home/bin/java" ]]; then
    v="$("$home/bin/java" -XshowSettings:properties -version 2>&1 \
      | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')"
  fi
  printf '%s' "$v"
}

# find_jdk: sets JDK_HOME to a JDK >= 21 (OpenSearch 3 and Elasticsearch 9 need it).
find_jdk() {
  local cand v
  local -a cands=()
  if [[ -n "${GKSS_JAVA_HOME:-}" ]]; then
    v="$(java_feature "$GKSS_JAVA_HOME")"
    if [[ -x "$GKSS_JAVA_HOME/bin/javac" ]] && is_int "$v" && (( v >= 21 )); then
      JDK_HOME="$GKSS_JAVA_HOME"
      return 0
    fi
    die "GKSS_JAVA_HOME=$GKSS_JAVA_HOME is not a JDK >= 21"
  fi
  if [[ -n "${JAVA_HOME:-}" ]]; then cands+=("$JAVA_HOME"); fi
  while IFS= read -r cand; do cands+=("$cand"); done < <(
    ls -d /usr/lib/jvm/*/ /opt/*jdk*/ /opt/java/*/ 2>/dev/null | sed 's:/$::' | sort -rV)
  if command -v java >/dev/null 2>&1; then
    cands+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for cand in "${cands[@]}"; do
    [[ -x "$cand/bin/java" && -x "$cand/bin/javac" ]] || continue
    v="$(java_feature "$cand")"
    if is_int "$v" && (( v >= 21 )); then
      JDK_HOME="$cand"
      return 0
    fi
  done
  die "no JDK >= 21 found (OpenSearch 3 and Elasticsearch 9 need Java 21+); looked at \$GKSS_JAVA_HOME, \$JAVA_HOME, /usr/lib/jvm/*, /opt; set GKSS_JAVA_HOME to one"
}
