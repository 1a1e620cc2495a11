#!/usr/bin/env bash
# Installs what the test harness (tests/harness/servers.rs) needs to run real mail servers on
# 127.0.0.1: Dovecot (POP3 + the SASL auth socket Postfix uses) and Postfix (submission).
# Idempotent: installs only what is missing, never starts the system's own daemons (the harness
# runs its own instances from per-run config files), and creates the unprivileged user that owns
# the test Maildirs. Safe to run repeatedly (the Makefile calls it before the tests).
set -euo pipefail

PACKAGES=(dovecot-core dovecot-pop3d postfix)
# Dovecot refuses to access mail as root, and Postfix's virtual delivery needs a uid too: a
# dedicated system user owns every Maildir the harness creates.
TEST_USER=dakiyatest

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi

missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != "installed" ]; then missing+=("$pkg"); fi
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]} (real POP3/SMTP servers for the Dakiya tests)"

    # Stop postinst scripts from starting daemons: policy-rc.d exiting 101 means "not allowed".
    # Keep any existing policy-rc.d (Docker images ship one) and put it back afterwards.
    POLICY=/usr/sbin/policy-rc.d
    BACKUP=""
    if [ -e "$POLICY" ]; then
        BACKUP=$(mktemp /tmp/policy-rc.d.backup.XXXXXX)
        "${SUDO[@]}" cp -p "$POLICY" "$BACKUP"
    fi
    restore_policy() {
        if [ -n "$BACKUP" ]; then
            "${SUDO[@]}" cp -p "$BACKUP" "$POLICY"
            "${SUDO[@]}" rm -f "$BACKUP"
        else
            "${SUDO[@]}" rm -f "$POLICY"
        fi
    }
    trap restore_policy EXIT
    printf '#!/bin/sh\n# temporary, from dakiya tests/servers/install-deps.sh\nexit 101\n' \
        | "${SUDO[@]}" tee "$POLICY" >/dev/null
    "${SUDO[@]}" chmod 0755 "$POLICY"

    # Postfix asks how to configure itself; the harness writes its own config.
    echo "postfix postfix/main_mailer_type select No configuration" \
        | "${SUDO[@]}" debconf-set-selections

    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "${missing[@]}"

    restore_policy
    trap - EXIT
else
    echo "install-deps: ${PACKAGES[*]} already installed"
fi

if ! getent passwd "$TEST_USER" >/dev/null; then
    echo "install-deps: creating system user $TEST_USER (owns the test Maildirs)"
    "${SUDO[@]}" useradd --system --user-group --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin "$TEST_USER"
fi

# The harness runs its own dovecot and postfix; the system's instances must not hold ports or
# the default config. Stop them if something (a postinst without policy-rc.d) started them.
# Only the instances using the default config (pid files in the default places) are stopped: the
# harness's own instances keep their pid files in their run directories.
if [ -e /run/dovecot/master.pid ] \
    && "${SUDO[@]}" kill -0 "$(cat /run/dovecot/master.pid)" 2>/dev/null; then
    echo "install-deps: stopping the system's dovecot (the harness runs its own)"
    "${SUDO[@]}" doveadm stop >/dev/null 2>&1 || "${SUDO[@]}" service dovecot stop >/dev/null 2>&1 || true
fi
if [ -e /var/spool/postfix/pid/master.pid ] \
    && "${SUDO[@]}" kill -0 "$(tr -d ' ' </var/spool/postfix/pid/master.pid)" 2>/dev/null; then
    echo "install-deps: stopping the system's postfix (the harness runs its own)"
    "${SUDO[@]}" postfix stop >/dev/null 2>&1 || "${SUDO[@]}" service postfix stop >/dev/null 2>&1 || true
fi

echo "install-deps: ready ($(dovecot --version | cut -d' ' -f1) dovecot, postfix $(postconf -dh mail_version))"
