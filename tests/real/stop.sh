#!/usr/bin/env bash
# Stops the private Postfix, Exim and dnsmasq instances started by tests/real/setup.sh.
# Only processes recorded in this state dir's pid files (and checked to be ours) are stopped;
# system services are never touched. Safe to run when nothing is running.
set -euo pipefail

STATE_DIR="${SMTP_DOCTOR_REAL_DIR:-/tmp/smtp-doctor-real}"
STATE_DIR="${STATE_DIR%/}"
PF_CONF="$STATE_DIR/postfix/conf"
PF_PID="$STATE_DIR/postfix/queue/pid/master.pid"
EXIM_CONF="$STATE_DIR/exim/exim4.conf"
EXIM_PID="$STATE_DIR/exim/exim.pid"
DNS_CONF="$STATE_DIR/dns/dnsmasq.conf"
DNS_PID="$STATE_DIR/dns/dnsmasq.pid"

log() { printf '[stop %s] %s\n' "$(date +%T)" "$*"; }

# A zombie (exited, not yet reaped by its parent) counts as gone.
alive() {
    [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
    local stat=""
    { IFS= read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
    stat="${stat##*) }"
    [ "${stat:0:1}" != Z ]
}

read_pid() { # FILE -> pid on stdout (empty if none)
    [ -s "$1" ] || return 0
    tr -dc '0-9' <"$1"
}

cmdline_of() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true; }

wait_gone() { # PID SECONDS
    local _
    for _ in $(seq 1 $(($2 * 10))); do
        alive "$1" || return 0
        sleep 0.1
    done
    return 1
}

kill_pid() { # PID NAME
    local pid="$1" name="$2"
    alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" 10; then
        log "$name (pid $pid) did not exit after SIGTERM; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 5 || true
    fi
    log "stopped $name (pid $pid)"
}

# Postfix: master.pid lives in this instance's own queue directory.
pid="$(read_pid "$PF_PID")"
if alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = master ]; then
    if [ -f "$PF_CONF/main.cf" ]; then
        postfix -c "$PF_CONF" stop >/dev/null 2>&1 || true
        if ! wait_gone "$pid" 10; then
            postfix -c "$PF_CONF" abort >/dev/null 2>&1 || true
        fi
    fi
    if alive "$pid"; then kill_pid "$pid" "postfix master"; else log "stopped postfix (pid $pid)"; fi
fi

# Exim and dnsmasq: from the pid file, and any leftover whose command line names our config
# (for example when a pid file was lost).
ours() { # PID COMM CONF: is PID a COMM process whose command line names CONF?
    local comm=""
    { IFS= read -r comm <"/proc/$1/comm"; } 2>/dev/null || return 1
    [ "$comm" = "$2" ] || return 1
    case "$(cmdline_of "$1")" in *"$3"*) return 0 ;; *) return 1 ;; esac
}
stop_by_conf() { # PIDFILE CONF COMM
    local pidfile="$1" conf="$2" name="$3" p d
    local pids=()
    p="$(read_pid "$pidfile")"
    if alive "$p" && ours "$p" "$name" "$conf"; then pids+=("$p"); fi
    for d in /proc/[0-9]*; do
        p="${d#/proc/}"
        if ours "$p" "$name" "$conf"; then
            case " ${pids[*]:-} " in *" $p "*) ;; *) pids+=("$p") ;; esac
        fi
    done
    for p in "${pids[@]:-}"; do
        [ -n "$p" ] && kill_pid "$p" "$name"
    done
    rm -f "$pidfile"
}
stop_by_conf "$EXIM_PID" "$EXIM_CONF" "exim4"
stop_by_conf "$DNS_PID" "$DNS_CONF" "dnsmasq"
