# A throw-away X desktop, shared by tests/e2e/run.sh and tests/package/install-test.sh (sourced).

# start_xvfb WORK_DIR LOG: Xvfb on a free display. Xvfb picks the number itself and writes it to
# fd 3, so parallel runs never race for one. Sets xvfb_pid (always, so the caller's cleanup can
# stop it) and display (":N", or empty if Xvfb did not start within 10 s).
start_xvfb() {
    local work=$1 log=$2
    display=""
    Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$work/display" 2>"$log" &
    xvfb_pid=$!
    for _ in $(seq 100); do
        [ -s "$work/display" ] && break
        sleep 0.1
    done
    if [ -s "$work/display" ]; then
        display=":$(head -n1 "$work/display")"
    fi
}

# unmount_document_portal RUNTIME_DIR: the document portal, started by the bus for the app,
# mounts a FUSE file system in the runtime directory, which rm -rf cannot remove while mounted.
unmount_document_portal() {
    local doc=$1/doc
    if mountpoint -q "$doc" 2>/dev/null; then
        fusermount3 -u -z "$doc" 2>/dev/null || fusermount -u -z "$doc" 2>/dev/null
    fi
}
