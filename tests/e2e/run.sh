#!/usr/bin/env bash
# The end-to-end test's desktop: run inside a private session bus, as `make test` does:
#
#   DAKIYA_APP=/abs/target/debug/dakiya DAKIYA_ARTIFACTS=/abs/test-artifacts \
#     dbus-run-session -- bash tests/e2e/run.sh [TEST NAME FILTER]
#
# It makes a throw-away HOME with an unlocked gnome-keyring (no real keyring is touched), starts
# Xvfb on a free display, dunst (the notification server) and dbus-monitor logging every
# org.freedesktop.Notifications.Notify call, then runs the e2e test (tests/e2e.rs), which drives
# the app through tauri-driver and saves screenshots into $DAKIYA_ARTIFACTS. Everything started
# here is stopped on exit; the exit code is the test's.
set -euo pipefail

: "${DAKIYA_APP:?set DAKIYA_APP to the app binary (target/debug/dakiya built with --features dakiya/custom-protocol)}"
: "${DAKIYA_ARTIFACTS:?set DAKIYA_ARTIFACTS to the directory for screenshots}"
: "${DBUS_SESSION_BUS_ADDRESS:?run me inside dbus-run-session: dbus-run-session -- bash tests/e2e/run.sh}"

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../harness/desktop.sh
source "$root/tests/harness/desktop.sh"
mkdir -p "$DAKIYA_ARTIFACTS"
artifacts=$(cd "$DAKIYA_ARTIFACTS" && pwd)
rm -f "$artifacts"/0[1-5]-*.png "$artifacts"/failure.png "$artifacts"/failure.html "$artifacts"/notify-monitor.log

# Cargo and rustup keep living in the real home; everything else gets a throw-away one.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export PATH="$CARGO_HOME/bin:$PATH"
work=$(mktemp -d "${TMPDIR:-/tmp}/dakiya-e2e.XXXXXX")
export HOME="$work/home"
export XDG_CONFIG_HOME="$HOME/.config" XDG_DATA_HOME="$HOME/.local/share" XDG_CACHE_HOME="$HOME/.cache"
export XDG_RUNTIME_DIR="$work/runtime"
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
export NO_AT_BRIDGE=1
export DAKIYA_NOTIFY_LOG="$artifacts/notify-monitor.log"

pids=()
cleanup() {
    local status=$?
    set +e
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill "${pids[i]}" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    unmount_document_portal "$XDG_RUNTIME_DIR"
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_xvfb "$work" "$artifacts/xvfb.log"
pids+=("$xvfb_pid")
[ -n "$display" ] || { echo "Xvfb did not start:"; cat "$artifacts/xvfb.log"; exit 1; }
export DISPLAY="$display"

# Services the bus starts on demand (the secrets service, the accessibility bus, portals) get the
# bus's environment: give them the throw-away HOME and the display too.
dbus-update-activation-environment HOME XDG_CONFIG_HOME XDG_DATA_HOME XDG_CACHE_HOME \
    XDG_RUNTIME_DIR DISPLAY NO_AT_BRIDGE

# The keyring: unlocked with a throw-away password, in the throw-away HOME. It ends with the bus.
keyring_env=$(echo -n test | gnome-keyring-daemon --unlock --components=secrets)
if [ -n "$keyring_env" ]; then
    # shellcheck disable=SC2086 # NAME=value words
    export $keyring_env
fi

# Notifications: dunst shows them, dbus-monitor records the calls.
dbus-monitor --session "interface='org.freedesktop.Notifications',member='Notify'" \
    >"$DAKIYA_NOTIFY_LOG" 2>&1 &
pids+=($!)
dunst >"$artifacts/dunst.log" 2>&1 &
pids+=($!)
notifications_up() {
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.Notifications 2>/dev/null |
        grep -q 'boolean true'
}
for _ in $(seq 100); do
    notifications_up && break
    sleep 0.1
done
notifications_up || { echo "dunst did not take org.freedesktop.Notifications:"; cat "$artifacts/dunst.log"; exit 1; }

echo "e2e: DISPLAY=$DISPLAY, HOME=$HOME, artifacts in $artifacts"
cd "$root"
set +e
# `--workspace` with a target filter, as every cargo call in the Makefile: the same package
# selection means the same resolved features, so nothing is rebuilt between steps.
cargo test --features dakiya/custom-protocol --workspace --test e2e -- \
    --test-threads=1 --nocapture "$@"
status=$?
set -e
exit "$status"
